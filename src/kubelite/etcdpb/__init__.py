"""The etcd v3 client API as protobuf and gRPC modules (etcdserverpb, mvccpb,
authpb): what the store serves and what the API server speaks to any etcd."""
