import PTTrace
import PTModel
