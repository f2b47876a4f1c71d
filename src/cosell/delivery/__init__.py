"""Delivering published events (cosell/operations/event_outbox.py writes them) to where a partner's code
listens: EventBridge rules' targets (SQS, a Python handler playing Lambda, HTTP), and webhooks signed the
Standard Webhooks way. `worker.py` dispatches and delivers; `targets.py` sends one delivery."""
