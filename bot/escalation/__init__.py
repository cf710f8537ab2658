"""Paging ladder, durable timers, stalled handoffs and PagerDuty."""
