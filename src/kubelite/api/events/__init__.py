"""events.k8s.io/v1: the Event kind as the newer events API shows it (the
same stored events core/v1 serves)."""
