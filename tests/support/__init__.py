"""Test and benchmark scaffolding: loopback servers and the sample laid out as its upstreams serve it."""
