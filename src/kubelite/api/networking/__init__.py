"""networking.k8s.io/v1: Ingresses, HTTP routing into the cluster, and the
IngressClasses that say which controller implements them."""
