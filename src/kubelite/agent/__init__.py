"""The node agent (kubelet). Only simulated nodes exist so far (`sim/`):
`kubelite agent --simulate N` registers N nodes and moves the pods bound to
them through their lifecycle without running anything, as kwok does. The
agent that runs pods with runc and the CNI plugins comes later."""
