"""Local stand-ins for Slack used by `containbot demo` and the tests."""
