#!/usr/bin/python3
"""A real RTSP server for the integration tests (GStreamer's gst-rtsp-server, from Debian).

Serves one clip (MP4, H.264 or H.265) at rtsp://127.0.0.1:PORT/cam, each client from the
start of the file at its own pace (or, with --shared, one stream every client joins, as a
camera's), optionally behind basic authentication. Prints
"READY <port>" on standard output once it listens, then runs until it is killed.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--codec", choices=["h264", "h265"], required=True)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument(
        "--shared",
        action="store_true",
        help="one stream for every client, as a camera's encoder (the same RTP and RTCP clocks)",
    )
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f'( filesrc location="{args.file}" ! qtdemux ! {args.codec}parse config-interval=-1 '
        f"! rtp{args.codec}pay name=pay0 pt=96 config-interval=-1 )"
    )
    factory.set_shared(args.shared)

    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", args.user)
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role(args.user, "media.factory.access", True)
        permissions.add_permission_for_role(args.user, "media.factory.construct", True)
        factory.set_permissions(permissions)

    server.get_mount_points().add_factory("/cam", factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        sys.exit(1)
    print(f"READY {args.port}", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
