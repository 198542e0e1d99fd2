DROP TABLE traffic_counts;
