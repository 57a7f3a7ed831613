"""Where result and upload files live, and the signed URLs that serve them."""
