"""scheduling.k8s.io/v1: PriorityClasses, the named priorities pods take
their spec.priority from."""
