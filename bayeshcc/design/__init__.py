"""Trial simulator: designs, scenarios, vectorised simulation and operating characteristics."""

__all__: list[str] = []
