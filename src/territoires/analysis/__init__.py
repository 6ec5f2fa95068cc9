"""Analysis: travel times, accessibility (FCA family, APL), access tiers and zones, CPTS catchments."""
