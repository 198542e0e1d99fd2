DROP TABLE junction_geometries;
