"""The building model: device kinds, their DR capability, and adapters that drive them."""
