"""How long ArduCopter takes to fly a mission item: the firmware's own motion rules.

The planner's clock must match the flight, or the note falls after the meeting time and
the reliefs launch by a wrong clock. These functions reproduce what ArduCopter 4.x does
with its parameters (SI units here; the parameter file holds them in the firmware's):

- **Waypoint legs** (``AC_WPNav`` with ``SCurve``): each leg is a jerk-limited S-curve
  (``SCurve::calculate_path`` / ``SCurve::add_segments``, ported in :func:`scurve`) with
  the leg's speed and acceleration from ``kinematic_limit`` (horizontal ``WPNAV_SPEED``
  and ``WPNAV_ACCEL``, vertical ``WPNAV_SPEED_UP`` / ``WPNAV_SPEED_DN`` and
  ``WPNAV_ACCEL_Z``), jerk ``WPNAV_JERK`` and the snap ``AC_WPNav::calc_scurve_jerk_and_snap``
  derives from ``ATC_INPUT_TC``.
- **The tilt limit** (``ANGLE_MAX``): a multirotor leans to fly; at the tilt limit the
  thrust's horizontal part equals the drag ``0.5 rho CdA v^2``, so the fastest speed it
  holds is ``sqrt(2 m g tan(ANGLE_MAX) / (rho CdA))`` (:func:`tilt_limited_speed`). The
  S-curve asks for more; ``AC_WPNav::advance_wp_target_along_track`` slows its clock to
  what the vehicle achieves, so the leg flies at the lower of the two speeds. The issue's
  900 g airframe flew 10.1 m/s at the default 30 degrees.
- **Corners** (``ModeAuto::set_next_wp``): a waypoint with no hold followed by another
  waypoint or a loiter is a "fast" waypoint: the next leg starts while this one
  decelerates, once the corner's position, horizontal speed and acceleration are within
  ``WPNAV_RADIUS``, the slower leg's speed and the corner acceleration
  (``SCurve::advance_target_along_track``). The item changes half-way through that
  overlap (:func:`corner_overlap`). Take-off, RTL and any hold stop the drone.
- **Take-off** (``_AutoTakeoff::run``, ``shape_pos_vel_accel``): the motors spool up
  (``MOT_SPOOL_TIME``), the throttle slews up for lift-off (``TKOFF_SLEW_TIME``, lift-off
  declared at the latest at 90 % throttle), then the vertical position shaper climbs at
  ``WPNAV_SPEED_UP`` with ``WPNAV_ACCEL_Z`` and ``PSC_JERK_Z``; the item completes when the
  shaped target is within its stopping distance and under 10 % of the climb speed
  (:func:`takeoff_time`).
- **Landing** (``ModeRTL`` then ``Mode::land_run_vertical_control``): ``RTL_LOITER_TIME``
  of hover over home, descent at ``LAND_SPEED_HIGH`` (or ``WPNAV_SPEED_DN`` when 0) shaped
  by a square-root controller towards ``LAND_ALT_LOW``, the rest at ``LAND_SPEED``, then
  the land detector and disarming (:func:`landing_time`).

Two allowances are calibrated on the flown sortie of issue 19, each for a rule the
firmware has but whose length depends on the airframe: :data:`START_FROM_REST_LAG_S`
(the track clock held back while the vehicle catches up with a target that starts from
rest) and :data:`TOUCHDOWN_TO_DISARM_S` (from ground contact until the land detector has
seen the throttle at its lower limit for ``LAND_DETECTOR_TRIGGER_SEC`` and the motors are
disarmed). No I/O here.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from functools import cached_property, lru_cache

#: Standard gravity, m/s^2 (``GRAVITY_MSS``).
G = 9.80665
#: Sea-level air density, kg/m^3 (ISA).
AIR_DENSITY = 1.225

#: ``CONTROL_TIME_CONSTANT_RATIO`` of ``AP_Math/control.cpp``.
_CONTROL_TIME_CONSTANT_RATIO = 4.0

#: Seconds by which a leg that starts from rest ends after its S-curve: the vehicle
#: trails the target while it accelerates and ``AC_WPNav`` slows the track clock until it
#: catches up (``_track_scalar_dt``). Calibrated: the four 3 m legs of the
#: acknowledgement flew 26.5 s with 1 s holds, against 24.1 s of S-curves.
START_FROM_REST_LAG_S = 0.6

#: Seconds from touching the ground to disarming: the land detector waits for the
#: throttle to wind down to its lower limit and then ``LAND_DETECTOR_TRIGGER_SEC`` (1 s),
#: and the motors spool down (``MOT_SPOOL_TIME``). Calibrated on the flown landing
#: (66.2 s, of which 60.1 s are the RTL hover and the shaped descent).
TOUCHDOWN_TO_DISARM_S = 6.1

#: Simulation step of the vertical shapers, seconds (ArduCopter runs them at 400 Hz;
#: 100 Hz changes the figures by less than 0.05 s).
_DT = 0.01


@dataclass(frozen=True)
class FlightParameters:
    """The ArduCopter parameters the timing depends on, in SI units.

    Attributes
    ----------
    speed_ms
        ``WPNAV_SPEED``: horizontal speed in missions (``DO_CHANGE_SPEED`` sets it too), m/s.
    speed_up_ms, speed_down_ms
        ``WPNAV_SPEED_UP``, ``WPNAV_SPEED_DN``: vertical speeds, m/s.
    accel_ms2, accel_z_ms2
        ``WPNAV_ACCEL``, ``WPNAV_ACCEL_Z``: horizontal and vertical acceleration, m/s^2.
    jerk_ms3
        ``WPNAV_JERK``, m/s^3.
    angle_max_deg
        ``ANGLE_MAX``: the tilt limit, degrees.
    land_speed_ms
        ``LAND_SPEED``: the last ``land_alt_low_m`` of a landing, m/s.
    land_speed_high_ms
        ``LAND_SPEED_HIGH``: the landing descent above that, m/s; 0 = ``WPNAV_SPEED_DN``.
    land_alt_low_m
        ``LAND_ALT_LOW``, metres.
    rtl_loiter_s
        ``RTL_LOITER_TIME``: hover over home before landing, seconds.
    wp_radius_m
        ``WPNAV_RADIUS``, metres.
    input_tc_s
        ``ATC_INPUT_TC``, seconds (sets the S-curve's snap).
    jerk_z_ms3
        ``PSC_JERK_Z``: jerk of the vertical shaper (take-off, landing), m/s^3.
    pos_z_p
        ``PSC_POSZ_P``: the vertical position gain the landing's sqrt controller uses.
    spool_s
        ``MOT_SPOOL_TIME``, seconds.
    takeoff_slew_s
        ``TKOFF_SLEW_TIME``, seconds.
    """

    speed_ms: float = 5.0
    speed_up_ms: float = 2.5
    speed_down_ms: float = 1.5
    accel_ms2: float = 2.5
    accel_z_ms2: float = 1.0
    jerk_ms3: float = 1.0
    angle_max_deg: float = 30.0
    land_speed_ms: float = 0.5
    land_speed_high_ms: float = 0.0
    land_alt_low_m: float = 10.0
    rtl_loiter_s: float = 5.0
    wp_radius_m: float = 2.0
    input_tc_s: float = 0.15
    jerk_z_ms3: float = 5.0
    pos_z_p: float = 1.0
    spool_s: float = 0.5
    takeoff_slew_s: float = 2.0

    @property
    def snap_ms4(self) -> float:
        """The S-curve's snap (``AC_WPNav::calc_scurve_jerk_and_snap``), m/s^4.

        ``jerk * pi / (2 * max(ATC_INPUT_TC, 0.1))``, within the attitude controller's
        angular acceleration (``ATC_ACCEL_R_MAX`` 110000 cdeg/s^2 by default), halved.
        """
        snap = self.jerk_ms3 * math.pi / (2.0 * max(self.input_tc_s, 0.1))
        snap = min(snap, math.radians(1100.0) * G)
        return snap * 0.5

    @property
    def corner_accel_ms2(self) -> float:
        """Acceleration allowed in a corner: ``g tan(ANGLE_MAX)``, m/s^2."""
        return G * math.tan(math.radians(self.angle_max_deg))

    @property
    def wp_accel_ms2(self) -> float:
        """``WPNAV_ACCEL`` within what the tilt limit allows (``wp_and_spline_init``)."""
        return min(self.accel_ms2, self.corner_accel_ms2)

    @property
    def land_descent_ms(self) -> float:
        """Landing descent speed above ``LAND_ALT_LOW``, m/s (never below ``LAND_SPEED``)."""
        high = self.land_speed_high_ms if self.land_speed_high_ms > 0 else self.speed_down_ms
        return max(high, self.land_speed_ms)


#: ArduCopter's defaults (the flight of issue 19 flew with these and a gripper).
ARDUPILOT_DEFAULTS = FlightParameters()


def tilt_limited_speed(mass_kg: float, drag_area_m2: float, angle_max_deg: float) -> float:
    """The fastest level speed at the tilt limit, m/s: ``sqrt(2 m g tan(a) / (rho CdA))``.

    Parameters
    ----------
    mass_kg
        Take-off mass, kg.
    drag_area_m2
        Drag coefficient times frontal area, square metres.
    angle_max_deg
        The tilt limit (``ANGLE_MAX``), degrees.
    """
    return math.sqrt(
        2.0 * mass_kg * G * math.tan(math.radians(angle_max_deg)) / (AIR_DENSITY * drag_area_m2)
    )


def kinematic_limit(
    horizontal_m: float, vertical_m: float, max_xy: float, max_up: float, max_down: float
) -> float:
    """The speed (or acceleration) limit along a leg, as ``AP_Math::kinematic_limit``.

    The leg runs ``horizontal_m`` across and ``vertical_m`` up (negative: down); the
    result keeps the horizontal part within ``max_xy`` and the vertical within
    ``max_up`` or ``max_down``.
    """
    length = math.hypot(horizontal_m, vertical_m)
    if length == 0.0:
        return 0.0
    xy, z = horizontal_m / length, vertical_m / length
    if xy == 0.0:
        return max_up if z > 0 else max_down
    if z == 0.0:
        return max_xy
    limit_z = max_up if z > 0 else max_down
    return min(max_xy / xy, limit_z / abs(z))


# --------------------------------------------------------------------------- S-curve


@dataclass(frozen=True)
class SCurve:
    """One leg's S-curve: segment end times, accelerations, speeds and positions.

    A port of the 23-segment ``SCurve`` of ``AP_Math/SCurve.cpp`` for a leg that starts
    and ends at rest; ``segments`` holds ``(end_time, kind, jerk, accel, vel, pos)`` with
    ``kind`` 0 constant jerk, 1 raised-cosine increasing, 2 decreasing.
    """

    length_m: float
    vel_max: float
    accel_max: float
    segments: tuple[tuple[float, int, float, float, float, float], ...]

    @property
    def duration_s(self) -> float:
        """Seconds from rest to rest."""
        return self.segments[-1][0] if self.segments else 0.0

    @cached_property
    def ends(self) -> tuple[float, ...]:
        """End time of each segment, seconds."""
        return tuple(s[0] for s in self.segments)

    @property
    def turn_out_s(self) -> float:
        """Start of the deceleration (end of constant speed, ``time_turn_out``)."""
        return self.segments[15][0] if len(self.segments) == 23 else 0.0

    @property
    def turn_in_s(self) -> float:
        """End of the first jerk pulse (``time_turn_in``)."""
        return self.segments[4][0] if len(self.segments) == 23 else 0.0

    def state(self, t: float) -> tuple[float, float, float]:
        """``(accel, vel, pos)`` along the leg at ``t`` seconds (clamped to the leg)."""
        segs = self.segments
        if not segs:
            return 0.0, 0.0, 0.0
        if t >= segs[-1][0]:
            return 0.0, 0.0, self.length_m
        k = bisect.bisect_right(self.ends, t)
        if k == 0:
            return 0.0, 0.0, 0.0
        t0, _, _, a0, v0, p0 = segs[k - 1]
        end, kind, jm, _, _, _ = segs[k]
        dt = t - t0
        tj = end - t0
        if kind == 0:
            return (
                a0 + jm * dt,
                v0 + a0 * dt + 0.5 * jm * dt * dt,
                p0 + v0 * dt + 0.5 * a0 * dt * dt + jm * dt**3 / 6.0,
            )
        alpha, beta = jm * 0.5, math.pi / tj
        if kind == 1:
            a = a0 + alpha * dt - alpha / beta * math.sin(beta * dt)
            v = (
                v0
                + a0 * dt
                + alpha * 0.5 * dt * dt
                + alpha / beta**2 * math.cos(beta * dt)
                - alpha / beta**2
            )
            p = (
                p0
                + v0 * dt
                + 0.5 * a0 * dt * dt
                - alpha / beta**2 * dt
                + alpha * dt**3 / 6.0
                + alpha / beta**3 * math.sin(beta * dt)
            )
            return a, v, p
        at = alpha * tj
        vt = alpha * (tj * tj * 0.5 - 2.0 / beta**2)
        pt = alpha * (-tj / beta**2 + tj**3 / 6.0)
        u = dt + tj
        a = (a0 - at) + alpha * u - alpha / beta * math.sin(beta * u)
        v = (
            (v0 - vt)
            + (a0 - at) * dt
            + 0.5 * alpha * u * u
            + alpha / beta**2 * math.cos(beta * u)
            - alpha / beta**2
        )
        p = (
            (p0 - pt)
            + (v0 - vt) * dt
            + 0.5 * (a0 - at) * dt * dt
            - alpha / beta**2 * u
            + alpha / 6.0 * u**3
            + alpha / beta**3 * math.sin(beta * u)
        )
        return a, v, p


def _path_times(
    sm: float, jm: float, am: float, vm: float, length: float
) -> tuple[float, float, float, float, float]:
    """``SCurve::calculate_path`` for a start at rest: ``(Jm, tj, t2, t4, t6)``."""
    tj = jm * math.pi / (2.0 * sm)
    at = min(am, vm / (2.0 * tj), length / (4.0 * tj * tj))

    def t4_of(am: float, jm: float, tj: float) -> float:
        disc = (
            am**4 / 4.0
            + am * am * jm * jm * tj * tj / 4.0
            + am * jm * jm * length * 2.0
            + am**3 * jm * tj / 2.0
        )
        root = math.sqrt(max(disc, 0.0))
        hi = (am * am * -1.5 + root - am * jm * tj * 1.5) / (am * jm)
        lo = (am * am * -1.5 - root - am * jm * tj * 1.5) / (am * jm)
        return max(min(-(-vm + am * tj + am * am / jm) / am, max(hi, lo)), 0.0)

    if abs(at) < jm * tj:
        tj = min(
            tj,
            (length * math.pi / (8.0 * sm)) ** 0.25,
            (vm * math.pi / (4.0 * sm)) ** (1.0 / 3.0),
            math.sqrt(am * math.pi / (2.0 * sm)),
        )
        jm = 2.0 * sm * tj / math.pi
        am = jm * tj
        if vm <= 2.0 * am * tj or length <= 4.0 * am * tj * tj:
            return jm, tj, 0.0, 0.0, 0.0
        return jm, tj, 0.0, t4_of(am, jm, tj), 0.0
    if vm < am * tj + am * am / jm or length < (am**3 + am * jm * am * tj * 2.0) / (jm * jm) + (
        am * tj * tj
    ):
        x = (
            -(jm * jm) * length / 2.0
            + jm**3 * tj**3 * 8.0 / 27.0
            - jm * tj * (jm * jm * tj * tj) / 3.0
        )
        y = jm * jm * tj * tj / 9.0
        r = math.sqrt(max(x * x - y**3, 0.0))
        cube = (r - x) ** (1.0 / 3.0) if r - x > 0 else 0.0
        by_length = jm * tj * (-2.0 / 3.0) + (y / cube if cube > 0 else 0.0) + cube
        root = math.sqrt(max((vm * 4.0 + jm * tj * tj) / jm, 0.0))
        by_speed = max(jm * (tj + root) * -0.5, jm * (tj - root) * -0.5)
        am = min(am, by_speed, by_length)
        t2 = max(am / jm - tj, 0.0)
        return jm, tj, t2, 0.0, t2
    t2 = am / jm - tj
    return jm, tj, t2, t4_of(am, jm, tj), t2


@lru_cache(maxsize=4096)
def scurve(length_m: float, vel_max: float, accel_max: float, jerk: float, snap: float) -> SCurve:
    """The S-curve of a leg of ``length_m`` from rest to rest (``SCurve::add_segments``).

    Parameters
    ----------
    length_m
        Leg length, metres.
    vel_max, accel_max
        The leg's speed and acceleration limits (see :func:`kinematic_limit`), m/s, m/s^2.
    jerk, snap
        ``WPNAV_JERK`` and the derived snap, m/s^3 and m/s^4.
    """
    if length_m <= 0.0 or vel_max <= 0.0 or accel_max <= 0.0:
        return SCurve(max(length_m, 0.0), vel_max, accel_max, ())
    jm, tj, t2, t4, t6 = _path_times(snap, jerk, accel_max, vel_max, length_m * 0.5)
    segs: list[tuple[float, int, float, float, float, float]] = [(0.0, 0, 0.0, 0.0, 0.0, 0.0)]

    def add(kind: int, duration: float, j: float) -> None:
        t0, _, _, a0, v0, p0 = segs[-1]
        if duration <= 0.0:
            segs.append((t0, 0, 0.0 if kind else j, a0, v0, p0))
            return
        if kind == 0:
            a = a0 + j * duration
            v = v0 + a0 * duration + 0.5 * j * duration**2
            p = p0 + v0 * duration + 0.5 * a0 * duration**2 + j * duration**3 / 6.0
        else:
            beta, alpha = math.pi / duration, j * 0.5
            at = alpha * duration
            vt = alpha * (duration**2 * 0.5 - 2.0 / beta**2)
            pt = alpha * (-duration / beta**2 + duration**3 / 6.0)
            if kind == 1:
                a, v = a0 + at, v0 + a0 * duration + vt
                p = p0 + v0 * duration + 0.5 * a0 * duration**2 + pt
            else:
                a2, v2 = j * duration, j * duration**2
                p2 = alpha * (-2.0 * duration / beta**2 + 4.0 / 3.0 * duration**3)
                a = (a0 - at) + a2
                v = (v0 - vt) + (a0 - at) * duration + v2
                p = (p0 - pt) + (v0 - vt) * duration + 0.5 * (a0 - at) * duration**2 + p2
        segs.append((t0 + duration, kind, j, a, v, p))

    def jerk_pulse(j: float, constant: float) -> None:
        add(1, tj, j)
        add(0, constant, j)
        add(2, tj, j)

    jerk_pulse(jm, t2)
    add(0, t4, 0.0)
    jerk_pulse(-jm, t6)
    end = segs[-1]
    segs[-1] = (end[0], end[1], end[2], 0.0, end[4], end[5])  # remove numerical errors
    for _ in range(7):
        add(0, 0.0, 0.0)
    _, _, _, _, v_top, p_top = segs[-1]
    t15 = max(0.0, (length_m - 2.0 * p_top) / v_top) if v_top > 0 else 0.0
    add(0, t15, 0.0)
    jerk_pulse(-jm, t6)
    add(0, t4, 0.0)
    jerk_pulse(jm, t2)
    end = segs[-1]
    segs[-1] = (end[0], end[1], end[2], 0.0, 0.0, end[5])
    return SCurve(length_m, vel_max, accel_max, tuple(segs))


# --------------------------------------------------------------------------- legs


@dataclass(frozen=True)
class Leg:
    """One straight waypoint leg: its geometry, limits and S-curve.

    Attributes
    ----------
    horizontal_m, vertical_m
        Run across and rise (negative: fall), metres.
    east, north
        Unit horizontal direction (0, 0 for a vertical leg).
    curve
        The leg's S-curve.
    """

    horizontal_m: float
    vertical_m: float
    east: float
    north: float
    curve: SCurve

    @property
    def duration_s(self) -> float:
        """Seconds from rest to rest."""
        return self.curve.duration_s

    def direction(self) -> tuple[float, float, float]:
        """Unit vector (east, north, up) along the leg."""
        length = math.hypot(self.horizontal_m, self.vertical_m)
        if length == 0.0:
            return 0.0, 0.0, 0.0
        h = self.horizontal_m / length
        return self.east * h, self.north * h, self.vertical_m / length


def make_leg(
    horizontal_m: float,
    vertical_m: float,
    bearing_deg: float,
    fp: FlightParameters,
    cruise_ms: float,
) -> Leg:
    """The :class:`Leg` across ``horizontal_m`` and up ``vertical_m`` on ``bearing_deg``.

    ``cruise_ms`` is the horizontal speed the vehicle holds: the commanded speed within
    the tilt-limited speed.
    """
    length = math.hypot(horizontal_m, vertical_m)
    vel = kinematic_limit(horizontal_m, vertical_m, cruise_ms, fp.speed_up_ms, fp.speed_down_ms)
    acc = kinematic_limit(horizontal_m, vertical_m, fp.wp_accel_ms2, fp.accel_z_ms2, fp.accel_z_ms2)
    curve = scurve(round(length, 3), round(vel, 4), round(acc, 4), fp.jerk_ms3, fp.snap_ms4)
    b = math.radians(bearing_deg)
    east, north = (math.sin(b), math.cos(b)) if horizontal_m > 0 else (0.0, 0.0)
    return Leg(horizontal_m, vertical_m, east, north, curve)


def corner_overlap(this: Leg, nxt: Leg, fp: FlightParameters, step_s: float = 0.05) -> float:
    """Seconds by which the next item starts before ``this`` leg's S-curve ends.

    ``SCurve::advance_target_along_track`` starts the next leg once this one is past its
    turn-out point less the next leg's turn-in time, past half its length, and the corner
    (the two legs' targets ``R/2`` ahead, ``R`` the time this leg has left) lies within
    ``WPNAV_RADIUS`` of the waypoint, with a horizontal speed under the slower leg's and
    an acceleration under the corner acceleration. The item then changes when the next
    leg has run as long as this one has left: ``R/2`` before this leg's end. 0 when the
    corner never qualifies (the drone stops).
    """
    c1, c2 = this.curve, nxt.curve
    t_end = c1.duration_s
    if t_end <= 0.0 or c2.duration_s <= 0.0:
        return 0.0
    u1, u2 = this.direction(), nxt.direction()
    speed_min = min(c1.vel_max, c2.vel_max)
    # Before this, the next leg could not start: turn-out less turn-in, and the time left
    # must be under half the next leg.
    t = max(c1.turn_out_s - c2.turn_in_s, t_end - c2.duration_s * 0.5, 0.0)
    while t < t_end:
        remaining = t_end - t
        if c1.state(t)[2] >= 0.5 * c1.length_m and remaining < c2.duration_s * 0.5:
            a1, v1, p1 = c1.state(t + remaining * 0.5)
            a2, v2, p2 = c2.state(remaining * 0.5)
            pos = [u1[i] * (p1 - c1.length_m) + u2[i] * p2 for i in range(3)]
            vel_xy = math.hypot(u1[0] * v1 + u2[0] * v2, u1[1] * v1 + u2[1] * v2)
            acc_xy = math.hypot(u1[0] * a1 + u2[0] * a2, u1[1] * a1 + u2[1] * a2)
            if (
                math.hypot(*pos) < fp.wp_radius_m
                and vel_xy < speed_min
                and acc_xy < fp.corner_accel_ms2
            ):
                return remaining * 0.5
        t += step_s
    return 0.0


# --------------------------------------------------------------------------- take-off, land


def _sqrt_controller(error: float, p: float, limit: float) -> float:
    """``sqrt_controller`` of ``AP_Math/control.cpp`` (without the last-step clamp)."""
    linear = limit / (p * p)
    if error > linear:
        return math.sqrt(2.0 * limit * (error - linear / 2.0))
    if error < -linear:
        return -math.sqrt(2.0 * limit * (-error - linear / 2.0))
    return error * p


@lru_cache(maxsize=1024)
def _climb_time(height_m: float, up: float, down: float, accel: float, jerk: float) -> float:
    kp_v = jerk / (_CONTROL_TIME_CONSTANT_RATIO * accel)
    accel_tc = accel * (1.0 - 1.0 / _CONTROL_TIME_CONSTANT_RATIO)
    stop = 0.5 * (0.1 * up) ** 2 / accel
    pos = vel = acc = t = 0.0
    while t < 3600.0:
        vel_target = min(max(_sqrt_controller(height_m - pos, kp_v, accel_tc), -down), up)
        acc_target = min(max((vel_target - vel) * jerk / accel, -accel), accel)
        acc += min(max(acc_target - acc, -jerk * _DT), jerk * _DT)
        vel += acc * _DT
        pos += vel * _DT
        t += _DT
        if pos >= height_m - stop and vel < 0.1 * up:
            break
    return t


def takeoff_time(height_m: float, fp: FlightParameters) -> float:
    """Seconds of ``NAV_TAKEOFF`` to ``height_m`` above the ground, from the motors' start.

    Spool-up (``MOT_SPOOL_TIME``), the throttle slew to lift-off (``TKOFF_SLEW_TIME`` up
    to the 90 % at which ``_AutoTakeoff::run`` declares lift-off at the latest), then the
    jerk-limited climb of ``input_pos_vel_accel_U`` until ``_AutoTakeoff`` calls it complete.
    """
    if height_m <= 0.0:
        return 0.0
    start = fp.spool_s + fp.takeoff_slew_s * 0.9
    climb = _climb_time(
        round(height_m, 2), fp.speed_up_ms, fp.speed_down_ms, fp.accel_z_ms2, fp.jerk_z_ms3
    )
    return start + climb


@lru_cache(maxsize=1024)
def _descent_time(
    height_m: float, fast: float, slow: float, low: float, accel: float, jerk: float, p: float
) -> float:
    pos, vel, acc, t = height_m, 0.0, 0.0, 0.0
    target_low = max(low, 1.0)
    while pos > 0.0 and t < 3600.0:
        rate = min(max(_sqrt_controller(target_low - pos, p, accel), -fast), -slow)
        acc_target = min(max((rate - vel) * jerk / accel, -accel), accel)
        acc += min(max(acc_target - acc, -jerk * _DT), jerk * _DT)
        vel += acc * _DT
        pos += vel * _DT
        t += _DT
    return t


def landing_time(height_m: float, fp: FlightParameters) -> float:
    """Seconds of ``NAV_RETURN_TO_LAUNCH`` from over home at ``height_m`` to disarmed.

    ``RTL_LOITER_TIME`` of hover, then ``land_run_vertical_control``: a sqrt-controller
    descent towards ``LAND_ALT_LOW`` at ``LAND_SPEED_HIGH`` (``WPNAV_SPEED_DN`` when 0),
    never slower than ``LAND_SPEED``, shaped with ``WPNAV_ACCEL_Z`` and ``PSC_JERK_Z``;
    then :data:`TOUCHDOWN_TO_DISARM_S`.
    """
    descent = _descent_time(
        round(max(height_m, 0.0), 2),
        fp.land_descent_ms,
        fp.land_speed_ms,
        fp.land_alt_low_m,
        fp.accel_z_ms2,
        fp.jerk_z_ms3,
        fp.pos_z_p,
    )
    return fp.rtl_loiter_s + descent + TOUCHDOWN_TO_DISARM_S


__all__ = [
    "AIR_DENSITY",
    "ARDUPILOT_DEFAULTS",
    "START_FROM_REST_LAG_S",
    "TOUCHDOWN_TO_DISARM_S",
    "FlightParameters",
    "Leg",
    "SCurve",
    "corner_overlap",
    "kinematic_limit",
    "landing_time",
    "make_leg",
    "scurve",
    "takeoff_time",
    "tilt_limited_speed",
]
