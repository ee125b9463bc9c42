"""The scenario: the schema a head of sales writes, uncertain values, distributions, the YAML loader."""
