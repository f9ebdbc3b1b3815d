"""The asyncio side of the media engine: UDP sockets and the 20 ms clock."""
