-- The first schema: layers, generations, areas with subdivided parts for lookups,
-- officers, incidents, hazards.
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE gridmap_meta (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO gridmap_meta VALUES ('areas_version', '0');

CREATE TABLE layers (
    name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,39}$'),
    title_zh text NOT NULL,
    title_en text NOT NULL,
    parent text REFERENCES layers(name),
    kind text NOT NULL CHECK (kind IN ('admin', 'zone')),
    department text,
    position integer NOT NULL
);

CREATE TABLE generations (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    description text NOT NULL DEFAULT '',
    created timestamptz NOT NULL DEFAULT now(),
    active boolean NOT NULL DEFAULT false
);
-- Exactly one generation is active (at most one here; the store activates one).
CREATE UNIQUE INDEX one_active_generation ON generations (active) WHERE active;

CREATE TABLE areas (
    id bigserial PRIMARY KEY,
    layer text NOT NULL REFERENCES layers(name),
    code text NOT NULL CHECK (code <> ''),
    name text NOT NULL,
    parent_code text,
    population integer NOT NULL DEFAULT 0 CHECK (population >= 0),
    households integer NOT NULL DEFAULT 0 CHECK (households >= 0),
    gen_from integer NOT NULL REFERENCES generations(id),
    gen_to integer REFERENCES generations(id),
    geom geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    CHECK (gen_to IS NULL OR gen_to >= gen_from),
    -- A code is unique within a layer over every generation it is valid in.
    CONSTRAINT areas_code_once EXCLUDE USING gist (
        layer WITH =, code WITH =, int4range(gen_from, gen_to, '[]') WITH &&)
);
CREATE INDEX areas_geom ON areas USING gist (geom);
CREATE INDEX areas_layer_gen ON areas (layer, gen_from, gen_to);

-- Small pieces of every area (ST_Subdivide, as MapIt does): point-in-polygon tests on
-- a few hundred vertices instead of thousands.  Kept in step with areas by the store,
-- in the same transaction.
CREATE TABLE area_parts (
    area_id bigint NOT NULL REFERENCES areas(id) ON DELETE CASCADE,
    layer text NOT NULL,
    gen_from integer NOT NULL,
    gen_to integer,
    geom geometry(Polygon, 4326) NOT NULL
);
CREATE INDEX area_parts_geom ON area_parts USING gist (geom);
CREATE INDEX area_parts_area ON area_parts (area_id);

CREATE TABLE officers (
    id serial PRIMARY KEY,
    name text NOT NULL,
    phone text NOT NULL DEFAULT '',
    role text NOT NULL,
    layer text NOT NULL REFERENCES layers(name),
    area_code text NOT NULL
);
CREATE INDEX officers_area ON officers (layer, area_code);

CREATE TABLE incidents (
    id bigserial PRIMARY KEY,
    category text NOT NULL,
    status text NOT NULL,
    reported_at text NOT NULL,
    reported_utc text NOT NULL,
    description text NOT NULL DEFAULT '',
    reporter text NOT NULL DEFAULT '',
    generation integer REFERENCES generations(id),
    grid_code text,
    areas jsonb NOT NULL DEFAULT '{}',
    geom geometry(Point, 4326) NOT NULL,
    lon double precision GENERATED ALWAYS AS (ST_X(geom)) STORED,
    lat double precision GENERATED ALWAYS AS (ST_Y(geom)) STORED
);
CREATE INDEX incidents_lonlat ON incidents (lon, lat);
CREATE INDEX incidents_time ON incidents (reported_utc);
CREATE INDEX incidents_grid ON incidents (grid_code);

CREATE TABLE hazards (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    type text NOT NULL,
    risk_level integer NOT NULL CHECK (risk_level BETWEEN 1 AND 4),
    next_inspection text,
    generation integer REFERENCES generations(id),
    grid_code text,
    areas jsonb NOT NULL DEFAULT '{}',
    geom geometry(Geometry, 4326) NOT NULL
        CHECK (GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON'))
);
CREATE INDEX hazards_geom ON hazards USING gist (geom);
