DROP TABLE junction_geometries;
DROP FUNCTION junction_geometries_immutable();
