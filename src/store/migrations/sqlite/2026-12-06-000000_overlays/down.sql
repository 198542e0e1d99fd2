DROP TABLE overlays;
