package io.filterscope.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Requests written byte by byte on a plain socket: what an HTTP client library will not send (any Host
 * header, broken WebSocket frames).
 */
final class RawHttp {
    private RawHttp() {
    }

    /** The status line and headers of the answer to {@code GET path} with this Host header, plus the body. */
    static String get(int port, String path, String host, String extraHeaders) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(30_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + extraHeaders
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static int status(String response) {
        return Integer.parseInt(response.substring(9, 12));
    }

    /** A WebSocket on a plain socket, after a successful upgrade; frames are sent as given. */
    static final class RawSocket implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        /** The upgrade's status line and headers, as the server sent them. */
        final String head;

        RawSocket(int port, String host) throws IOException {
            this(port, host, "");
        }

        /** Upgrades with {@code extraHeaders} (each ending in CRLF) besides the handshake's own. */
        RawSocket(int port, String host, String extraHeaders) throws IOException {
            socket = new Socket();
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(30_000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
            String key = Base64.getEncoder().encodeToString("raw-websocket-key".getBytes(StandardCharsets.US_ASCII));
            out.write(("GET /ws HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                head.append((char) b);
            }
            if (!head.toString().startsWith("HTTP/1.1 101")) {
                socket.close();
                throw new IOException("upgrade refused: " + head.toString().lines().findFirst().orElse(""));
            }
            this.head = head.toString();
        }

        /** Sends one masked frame. */
        void frame(int opcode, boolean fin, byte[] payload) throws IOException {
            ByteArrayOutputStream f = new ByteArrayOutputStream();
            f.write((fin ? 0x80 : 0) | opcode);
            if (payload.length < 126) {
                f.write(0x80 | payload.length);
            } else if (payload.length < 65536) {
                f.write(0x80 | 126);
                f.write(payload.length >> 8);
                f.write(payload.length & 0xff);
            } else {
                f.write(0x80 | 127);
                for (int i = 7; i >= 0; i--) {
                    f.write((int) ((long) payload.length >> (8 * i)) & 0xff);
                }
            }
            byte[] mask = {7, 1, 8, 3};
            f.write(mask);
            for (int i = 0; i < payload.length; i++) {
                f.write(payload[i] ^ mask[i % 4]);
            }
            out.write(f.toByteArray());
            out.flush();
        }

        /** Reads frames until a close frame; returns its status code (-1 if the connection ended without one). */
        int closeCode() throws IOException {
            return closeFrame().code();
        }

        /** A close frame's status code (1005 for none, -1 for no close frame) and reason. */
        record Close(int code, String reason) {
        }

        /** Reads frames until a close frame; returns its code and reason. */
        Close closeFrame() throws IOException {
            while (true) {
                int b0 = in.read();
                if (b0 < 0) {
                    return new Close(-1, "");
                }
                long length = in.read() & 0x7f;
                if (length == 126) {
                    length = (in.read() << 8) | in.read();
                } else if (length == 127) {
                    length = 0;
                    for (int i = 0; i < 8; i++) {
                        length = (length << 8) | in.read();
                    }
                }
                byte[] payload = in.readNBytes((int) length);
                if ((b0 & 0x0f) == 8) {
                    return payload.length >= 2 ? new Close(((payload[0] & 0xff) << 8) | (payload[1] & 0xff),
                            new String(payload, 2, payload.length - 2, java.nio.charset.StandardCharsets.UTF_8)) : new Close(1005, "");
                }
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
