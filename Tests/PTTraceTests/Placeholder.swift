import XCTest

final class PTTraceTestsPlaceholder: XCTestCase {
    func testPlaceholder() {}
}
