import DilatedViT

extension BatchPlan {
    /// Rank `rank`'s contiguous share of this plan's samples (and their augmentation seeds)
    /// out of `size` ranks; it keeps the plan's index and grid, and may be empty.
    public func share(rank: Int, of size: Int) -> BatchPlan {
        let part = shareRange(of: samples.count, rank: rank, size: size)
        var plan = self
        plan.samples = Array(samples[part])
        plan.seeds = Array(seeds[part])
        return plan
    }
}
