"""Alert intake: parse detector payloads into identity keys and match workloads."""
