"""The Kubernetes REST API over an etcd v3 store (`kubelite apiserver`)."""
