"""Simulated nodes, as kwok's default stages simulate them, with the status
shapes a kubelet writes.

  config.py      SimConfig and the parsers of its flags (pure)
  addresses.py   node IPs, pod CIDRs and each node's pod IP pool (pure)
  nodes.py       the Node object, its status and when to report it (pure)
  leases.py      the node's Lease in kube-node-lease (pure)
  pods.py        a pod's lifecycle as a function of the pod and the clock (pure)
  timefmt.py     Time and MicroTime to and from seconds (pure)
  timers.py      due times of the periodic work, spread over the interval (pure)
  simulator.py   the asyncio shell: registration, the one tick loop, the pod
                 informer and work queue, and the writes
"""
