print("ptreclaim: not yet built")
