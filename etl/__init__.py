"""Files in and out of gridmap, and the sample city."""
