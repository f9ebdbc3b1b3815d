"""asyncio side of the media engine."""
