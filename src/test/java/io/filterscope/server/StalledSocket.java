package io.filterscope.server;

import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A bare WebSocket client on a plain socket with a tiny receive buffer, that reads only when told to: the
 * way to be a client that falls behind, since the JDK's client buffers on its own.
 */
final class StalledSocket implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private long bytesRead;

    StalledSocket(int port) throws IOException {
        socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(60_000);
        out = socket.getOutputStream();
        in = new DataInputStream(socket.getInputStream());
        String key = Base64.getEncoder().encodeToString("filterscope-test".getBytes(StandardCharsets.UTF_8));
        out.write(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        StringBuilder response = new StringBuilder();
        while (!response.toString().endsWith("\r\n\r\n")) {
            response.append((char) in.readUnsignedByte());
        }
        if (!response.toString().startsWith("HTTP/1.1 101")) {
            throw new IOException("upgrade refused: " + response);
        }
    }

    void send(JsonObject message) throws IOException {
        byte[] payload = message.encode().getBytes(StandardCharsets.UTF_8);
        byte[] mask = {1, 2, 3, 4};
        java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();
        frame.write(0x81);
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        } else {
            frame.write(0x80 | 126);
            frame.write(payload.length >> 8);
            frame.write(payload.length & 0xff);
        }
        frame.write(mask);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i % 4]);
        }
        out.write(frame.toByteArray());
        out.flush();
    }

    /** Reads messages until a text message contains {@code until}; returns them (binary ones as their JSON header). */
    List<JsonObject> readUntil(String until) throws IOException {
        List<JsonObject> messages = new ArrayList<>();
        while (true) {
            int opcode = in.readUnsignedByte() & 0x0f;
            long length = in.readUnsignedByte() & 0x7f;
            if (length == 126) {
                length = in.readUnsignedShort();
            } else if (length == 127) {
                length = in.readLong();
            }
            byte[] payload = new byte[(int) length];
            in.readFully(payload);
            bytesRead += length;
            if (opcode == 1) {
                JsonObject event = new JsonObject(new String(payload, StandardCharsets.UTF_8));
                messages.add(event);
                if (event.encode().contains(until)) {
                    return messages;
                }
            } else if (opcode == 2) {
                int headerLength = java.nio.ByteBuffer.wrap(payload, 0, 4).getInt();
                messages.add(new JsonObject(new String(payload, 4, headerLength, StandardCharsets.UTF_8)));
            }
        }
    }

    long bytesRead() {
        return bytesRead;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
