"""The resource plugins: NodeResourcesFit (filter and score) and
NodeResourcesBalancedAllocation (score), over one shared scorer."""
