"""The client library: how every component other than the API server
reaches the cluster (DESIGN rule 1), modelled on client-go.

  config.py          ClientConfig from a kubeconfig, in-cluster files, or flags
  errors.py          ApiError and its subclasses (NotFound, Conflict, Gone, ...)
  ratelimit.py       the token bucket (client QPS/burst, work-queue and spam limits)
  retry.py           when a failed request is retried; the informer's back-off
  rest.py            Client: get/list/create/update/patch/delete/watch over aiohttp
  resources.py       finding the Resource a call names (built-in or custom)
  store.py           the informer cache: keys, indexers, relist deltas
  informer.py        SharedInformer and SharedInformerFactory (list + watch)
  workqueue.py       the rate-limited work queue and its rate limiters
  leaderelection.py  leader election on a Lease, and its flags
  events.py          EventRecorder and the event correlator

docs/client.md describes the API.
"""
