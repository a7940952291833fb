"""discovery.k8s.io/v1: EndpointSlices, the scalable replacement for
core/v1 Endpoints that service proxies and DNS read."""
