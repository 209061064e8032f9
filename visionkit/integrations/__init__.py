"""Bridges to engines that run visionkit beyond one machine; each imports its engine lazily."""
