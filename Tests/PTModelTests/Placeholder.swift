import XCTest

final class PTModelTestsPlaceholder: XCTestCase {
    func testPlaceholder() {}
}
