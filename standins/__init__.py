"""Stand-in E-Program and E-Planning servers for tests, the demo and benchmarks.

Written from the two contracts alone: nothing here imports `app`, `connectors`
or `mappings`, so a stand-in cannot share a bug with the code it tests.
"""
