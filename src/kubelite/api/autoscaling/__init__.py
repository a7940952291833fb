"""The autoscaling group's definitions: only the Scale object that the
scale subresources of apps/v1 workloads and of custom resources read and
write."""
