"""The pipeline that writes knowledge: load -> normalize -> parse -> chunk -> embed -> write."""
