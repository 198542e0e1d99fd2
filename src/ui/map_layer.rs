//! The camera layer of the map (a walkers plugin): markers by kind and status, view cones of
//! fixed cameras, clusters where markers would overlap, labels that never overlap, hover
//! tooltips, and clicks written back to [`MapOutput`] for the app to act on.

use super::action::CameraDrag;
use super::i18n::{Language, Text, kind_name, status_name};
use super::map_layout::{self, Group};
use super::theme;
use crate::domain::{Camera, CameraKind, CameraStatus};
use egui::{Align2, Color32, FontId, Pos2, Rect, Response, Shape, Stroke, Ui, Vec2};
use walkers::{MapMemory, Plugin, Position, Projector, lat_lon};

/// One camera as the map shows it.
pub struct MapCamera<'a> {
    /// Index of the camera in the app's inventory.
    pub index: usize,
    pub camera: &'a Camera,
    pub status: CameraStatus,
    /// A counting camera's traffic against its usual level for the hour (a ring round it).
    pub flow: Option<super::traffic_flow::FlowLevel>,
}

/// What the dispatcher did on the map this frame, and where markers were drawn.
#[derive(Debug, Default, Clone)]
pub struct MapOutput {
    pub clicked_camera: Option<usize>,
    /// A cluster was clicked: centre here and zoom in.
    pub zoom_to: Option<(Position, f64)>,
    /// Screen position of every camera drawn alone (not in a cluster), by inventory index.
    pub marker_positions: Vec<(usize, Pos2)>,
    /// Screen position and size of every cluster drawn.
    pub clusters: Vec<(Pos2, usize)>,
    /// The camera whose marker is under the pointer (markers drawn alone only).
    pub hovered_camera: Option<usize>,
}

pub struct CameraLayer<'a> {
    pub cameras: Vec<MapCamera<'a>>,
    pub selected: Option<usize>,
    pub language: Language,
    pub output: &'a mut MapOutput,
}

const MARKER_RADIUS: f32 = 9.0;
const CLUSTER_RADIUS_PX: f32 = 26.0;
/// At this zoom and above, markers are never clustered and labels are shown.
const DETAIL_ZOOM: f64 = 17.0;
const LABEL_ZOOM: f64 = 15.5;
const CONE_ZOOM: f64 = 15.0;
/// Length of a view cone on the ground.
const CONE_LENGTH_M: f32 = 45.0;

impl Plugin for CameraLayer<'_> {
    fn run(
        self: Box<Self>,
        ui: &mut Ui,
        response: &Response,
        projector: &Projector,
        _memory: &MapMemory,
    ) {
        let this = *self;
        let zoom = projector.zoom();
        let points: Vec<Pos2> = this
            .cameras
            .iter()
            .map(|c| project(projector, c.camera))
            .collect();
        let groups = if zoom >= DETAIL_ZOOM {
            (0..points.len())
                .map(|i| Group {
                    members: vec![i],
                    centre: points[i],
                })
                .collect()
        } else {
            map_layout::cluster(&points, CLUSTER_RADIUS_PX)
        };
        let painter = ui.painter().clone();
        let clip = projector.clip_rect();

        // View cones first, under every marker.
        if zoom >= CONE_ZOOM {
            for group in groups.iter().filter(|g| g.members.len() == 1) {
                let cam = &this.cameras[group.members[0]];
                draw_cone(&painter, projector, cam, group.centre);
            }
        }

        let mut obstacles = Vec::with_capacity(groups.len());
        for group in &groups {
            if group.members.len() == 1 {
                let cam = &this.cameras[group.members[0]];
                let selected = this.selected == Some(cam.index);
                draw_marker(&painter, cam, group.centre, selected);
                this.output.marker_positions.push((cam.index, group.centre));
            } else {
                let worst = group
                    .members
                    .iter()
                    .map(|&i| this.cameras[i].status)
                    .max_by_key(|s| severity(*s))
                    .unwrap_or(CameraStatus::Unknown);
                let contains_selected = group
                    .members
                    .iter()
                    .any(|&i| Some(this.cameras[i].index) == this.selected);
                draw_cluster(&painter, group, worst, contains_selected);
                this.output
                    .clusters
                    .push((group.centre, group.members.len()));
            }
            obstacles.push(Rect::from_center_size(
                group.centre,
                Vec2::splat(2.0 * group_radius(group)),
            ));
        }

        draw_labels(&this, ui, &painter, &groups, &obstacles, clip, zoom);

        // Interaction: the nearest group under the pointer.
        let hit = |pos: Pos2| {
            groups
                .iter()
                .filter(|g| g.centre.distance(pos) <= group_radius(g) + 4.0)
                .min_by(|a, b| a.centre.distance(pos).total_cmp(&b.centre.distance(pos)))
        };
        if let Some(pos) = response.hover_pos()
            && let Some(group) = hit(pos)
        {
            ui.ctx().set_cursor_icon(egui::CursorIcon::PointingHand);
            draw_tooltip(&this, ui, group, pos);
            if group.members.len() == 1 {
                this.output.hovered_camera = Some(this.cameras[group.members[0]].index);
            }
        }
        // A drag that starts on a marker carries the camera (to a wall tile) instead of
        // panning the map (the app turns panning off while a marker is under the pointer).
        if response.drag_started()
            && let Some(origin) = ui.input(|i| i.pointer.press_origin())
            && let Some(group) = hit(origin)
            && group.members.len() == 1
        {
            let camera = &this.cameras[group.members[0]];
            response.dnd_set_drag_payload(CameraDrag {
                code: camera.camera.code.clone(),
            });
        }
        if response.clicked()
            && let Some(pos) = response.interact_pointer_pos()
            && let Some(group) = hit(pos)
        {
            if group.members.len() == 1 {
                this.output.clicked_camera = Some(this.cameras[group.members[0]].index);
            } else {
                let centre = projector.unproject(group.centre.to_vec2());
                this.output.zoom_to = Some((centre, (zoom + 2.0).min(19.0)));
            }
        }
    }
}

fn project(projector: &Projector, camera: &Camera) -> Pos2 {
    projector
        .project(lat_lon(camera.position.lat_deg, camera.position.lon_deg))
        .to_pos2()
}

fn severity(status: CameraStatus) -> u8 {
    match status {
        CameraStatus::Online => 0,
        CameraStatus::Unknown => 1,
        CameraStatus::Offline => 2,
        CameraStatus::Alarm => 3,
    }
}

fn group_radius(group: &Group) -> f32 {
    if group.members.len() == 1 {
        MARKER_RADIUS + 2.0
    } else {
        13.0 + 2.0 * (group.members.len() as f32).ln()
    }
}

fn draw_cone(painter: &egui::Painter, projector: &Projector, cam: &MapCamera, centre: Pos2) {
    let Some(heading) = cam.camera.heading_deg else {
        return;
    };
    let fov = cam.camera.fov_deg.unwrap_or(60.0) as f32;
    let position = lat_lon(cam.camera.position.lat_deg, cam.camera.position.lon_deg);
    let length = (projector.scale_pixel_per_meter(position) * CONE_LENGTH_M).clamp(22.0, 140.0);
    let steps = 10;
    let mut points = vec![centre];
    for i in 0..=steps {
        let angle = (heading as f32 - fov / 2.0 + fov * i as f32 / steps as f32).to_radians();
        // Compass heading: 0° is up (north), clockwise.
        points.push(centre + Vec2::new(angle.sin(), -angle.cos()) * length);
    }
    let colour = theme::status_colour(cam.status);
    painter.add(Shape::convex_polygon(
        points,
        colour.gamma_multiply(0.22),
        Stroke::new(1.0, colour.gamma_multiply(0.6)),
    ));
}

fn draw_marker(painter: &egui::Painter, cam: &MapCamera, centre: Pos2, selected: bool) {
    let fill = theme::status_colour(cam.status);
    let stroke = if selected {
        Stroke::new(3.0, theme::SELECTED)
    } else {
        Stroke::new(1.5, Color32::from_gray(235))
    };
    let r = MARKER_RADIUS;
    if selected {
        painter.circle_stroke(centre, r + 6.0, Stroke::new(2.0, theme::SELECTED));
    }
    if let Some(flow) = cam.flow {
        painter.circle_stroke(centre, r + 3.0, Stroke::new(3.0, flow.colour()));
    }
    let polygon = |corners: &[(f32, f32)]| {
        Shape::convex_polygon(
            corners
                .iter()
                .map(|(x, y)| centre + Vec2::new(*x, *y) * r)
                .collect(),
            fill,
            stroke,
        )
    };
    let shape = match cam.camera.kind {
        CameraKind::Enforcement => polygon(&[(0.0, -1.25), (1.25, 0.0), (0.0, 1.25), (-1.25, 0.0)]),
        CameraKind::FlowCount => polygon(&[(0.0, -1.3), (1.2, 0.9), (-1.2, 0.9)]),
        CameraKind::Overview => {
            let hexagon: Vec<(f32, f32)> = (0..6)
                .map(|i| {
                    let a = (i as f32 * 60.0_f32).to_radians();
                    (1.15 * a.cos(), 1.15 * a.sin())
                })
                .collect();
            polygon(&hexagon)
        }
        CameraKind::Crowd => Shape::circle_filled(centre, r, fill),
        CameraKind::Neighbourhood => polygon(&[(-0.9, -0.9), (0.9, -0.9), (0.9, 0.9), (-0.9, 0.9)]),
    };
    painter.add(shape);
    if cam.camera.kind == CameraKind::Crowd {
        painter.circle_stroke(centre, r, stroke);
    }
    painter.text(
        centre,
        Align2::CENTER_CENTER,
        theme::kind_letter(cam.camera.kind),
        FontId::proportional(11.0),
        Color32::from_gray(15),
    );
}

fn draw_cluster(painter: &egui::Painter, group: &Group, worst: CameraStatus, selected: bool) {
    let radius = group_radius(group);
    let ring = if selected {
        theme::SELECTED
    } else {
        theme::status_colour(worst)
    };
    painter.circle(
        group.centre,
        radius,
        Color32::from_rgb(0x22, 0x2b, 0x36),
        Stroke::new(3.0, ring),
    );
    painter.text(
        group.centre,
        Align2::CENTER_CENTER,
        group.members.len().to_string(),
        FontId::proportional(13.0),
        Color32::WHITE,
    );
}

fn draw_labels(
    layer: &CameraLayer,
    ui: &Ui,
    painter: &egui::Painter,
    groups: &[Group],
    obstacles: &[Rect],
    clip: Rect,
    zoom: f64,
) {
    // The selected camera's label first, so it always wins a spot.
    let mut singles: Vec<usize> = groups
        .iter()
        .filter(|g| g.members.len() == 1)
        .map(|g| g.members[0])
        .filter(|&i| zoom >= LABEL_ZOOM || Some(layer.cameras[i].index) == layer.selected)
        .collect();
    singles.sort_by_key(|&i| Some(layer.cameras[i].index) != layer.selected);
    let font = FontId::proportional(12.0);
    let galleys: Vec<_> = singles
        .iter()
        .map(|&i| {
            let camera = &layer.cameras[i].camera;
            let label = if camera.plays_sample() {
                format!(
                    "{} · {}",
                    camera.name,
                    Text::SampleVideo.get(layer.language)
                )
            } else {
                camera.name.clone()
            };
            ui.fonts_mut(|f| f.layout_no_wrap(label, font.clone(), Color32::from_gray(230)))
        })
        .collect();
    let requests: Vec<(Pos2, Vec2)> = singles
        .iter()
        .zip(&galleys)
        .map(|(&i, g)| {
            let centre = groups
                .iter()
                .find(|gr| gr.members == [i])
                .map_or(Pos2::ZERO, |gr| gr.centre);
            (centre, g.size() + Vec2::new(8.0, 4.0))
        })
        .collect();
    let placed = map_layout::place_labels(&requests, obstacles, clip, MARKER_RADIUS + 4.0);
    for (rect, galley) in placed.into_iter().zip(galleys) {
        if let Some(rect) = rect {
            painter.rect_filled(rect, 3.0, Color32::from_black_alpha(170));
            painter.galley(rect.min + Vec2::new(4.0, 2.0), galley, Color32::WHITE);
        }
    }
}

fn draw_tooltip(layer: &CameraLayer, ui: &Ui, group: &Group, pointer: Pos2) {
    let lang = layer.language;
    let text = if group.members.len() == 1 {
        let cam = &layer.cameras[group.members[0]];
        let mut text = format!(
            "{}\n{} · {} · {}",
            cam.camera.name,
            cam.camera.code,
            kind_name(cam.camera.kind, lang),
            status_name(cam.status, lang)
        );
        if cam.camera.plays_sample() {
            text.push_str(&format!("\n{}", Text::SampleVideoExplained.get(lang)));
        }
        text
    } else {
        let names: Vec<&str> = group
            .members
            .iter()
            .take(6)
            .map(|&i| layer.cameras[i].camera.name.as_str())
            .collect();
        let more = group.members.len().saturating_sub(names.len());
        let mut text = names.join("\n");
        if more > 0 {
            text.push_str(&format!("\n+{more}"));
        }
        text
    };
    let painter = ui.ctx().layer_painter(egui::LayerId::new(
        egui::Order::Tooltip,
        egui::Id::unique("map-tooltip"),
    ));
    let galley = ui.fonts_mut(|f| {
        f.layout(
            text,
            FontId::proportional(13.0),
            Color32::from_gray(240),
            360.0,
        )
    });
    let rect = Rect::from_min_size(
        pointer + Vec2::new(16.0, 16.0),
        galley.size() + Vec2::splat(12.0),
    );
    painter.rect(
        rect,
        4.0,
        Color32::from_rgb(0x1c, 0x22, 0x2b),
        Stroke::new(1.0, Color32::from_gray(90)),
        egui::StrokeKind::Inside,
    );
    painter.galley(rect.min + Vec2::splat(6.0), galley, Color32::WHITE);
}
