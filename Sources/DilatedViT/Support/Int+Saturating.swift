/// Size arithmetic for memory estimates: a photo's numbers come from its header, so
/// products of them may exceed `Int`; saturating at `Int.max` keeps "too large" true.
extension Int {
    func saturatingProduct(_ other: Int) -> Int {
        let (value, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? .max : value
    }

    func saturatingSum(_ other: Int) -> Int {
        let (value, overflow) = addingReportingOverflow(other)
        return overflow ? .max : value
    }
}
