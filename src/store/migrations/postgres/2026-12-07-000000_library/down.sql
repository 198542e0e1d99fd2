DROP TABLE incident_library;
