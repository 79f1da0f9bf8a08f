package io.filterscope.model.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.net.Network;
import io.filterscope.engine.net.UnsupportedLayerException;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.model.ModelStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import onnx.Onnx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.protobuf.ByteString;

/**
 * ONNX files written here with the protobuf classes: weights in external data files, refusals in one line
 * naming node, op type and opset, broken files, and what the models directory lists for them.
 */
class OnnxFilesTest {
    @TempDir
    Path dir;

    /** image [1, 2, 4, 4] -> 1x1 Conv (weights {@code w}, 3 filters) -> then {@code last} (op type) -> out. */
    private static Onnx.ModelProto model(Onnx.TensorProto w, String last, int opset) {
        Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder().setName("g")
                .addInput(input("image", 1, 2, 4, 4)).addInitializer(w)
                .addNode(Onnx.NodeProto.newBuilder().setOpType("Conv").setName("mix").addInput("image").addInput("w").addOutput("mixed"))
                .addNode(Onnx.NodeProto.newBuilder().setOpType(last).addInput("mixed").addOutput("out"))
                .addOutput(Onnx.ValueInfoProto.newBuilder().setName("out"));
        return Onnx.ModelProto.newBuilder().setIrVersion(8).setProducerName("test").setGraph(g)
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setVersion(opset)).build();
    }

    private static Onnx.ValueInfoProto input(String name, long... dims) {
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
        for (long d : dims) {
            shape.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder().setTensorType(
                Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }

    private static final float[] WEIGHTS = {1, 2, -1, 0.5f, 3, -2};

    private static byte[] littleEndian(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    private static Onnx.TensorProto.Builder weights() {
        return Onnx.TensorProto.newBuilder().setName("w").setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE)
                .addAllDims(Arrays.asList(3L, 2L, 1L, 1L));
    }

    @Test
    void weightsInAnExternalDataFileAreRead() throws Exception {
        byte[] data = littleEndian(WEIGHTS);
        byte[] side = new byte[16 + data.length];
        System.arraycopy(data, 0, side, 16, data.length);
        Files.write(dir.resolve("mix.weights"), side);
        Onnx.TensorProto w = weights().setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(entry("location", "mix.weights")).addExternalData(entry("offset", "16"))
                .addExternalData(entry("length", Integer.toString(data.length))).build();
        Path file = dir.resolve("mix.onnx");
        Files.write(file, model(w, "Relu", 13).toByteArray());

        Network net = OnnxReader.read(file).compile(DataType.DOUBLE, 1, new long[] {2, 4, 4});
        INDArray x = Nd4j.rand(DataType.DOUBLE, 1, 2, 4, 4).subi(0.5);
        net.input().assign(x);
        net.forward(java.util.List.of("out"));
        for (int o = 0; o < 3; o++) {
            INDArray expected = x.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(0))
                    .mul(WEIGHTS[2 * o]).add(x.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                            org.nd4j.linalg.indexing.NDArrayIndex.point(1)).mul(WEIGHTS[2 * o + 1]));
            expected = org.nd4j.linalg.ops.transforms.Transforms.relu(expected, false);
            INDArray ours = net.output("out").get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(o));
            assertTrue(ours.equalsWithEps(expected, 1e-6), "filter " + o);
        }
        assertEquals("mix", net.layer("mixed").alias(), "the conv's node name is a second name of its output");
        assertEquals("mixed", net.layer("mix").name());
    }

    @Test
    void externalDataOutsideTheModelsDirectoryIsRefused() throws Exception {
        Onnx.TensorProto w = weights().setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(entry("location", "../secret")).build();
        Path file = dir.resolve("escape.onnx");
        Files.write(file, model(w, "Relu", 13).toByteArray());
        IOException e = assertThrows(IOException.class, () -> OnnxReader.read(file));
        assertTrue(e.getMessage().contains("outside the model's directory: ../secret"), e.getMessage());
    }

    @Test
    void anUnsupportedNodeIsNamedWithItsOpTypeAndOpsetInOneLine() throws Exception {
        Path file = dir.resolve("odd.onnx");
        Files.write(file, model(weights().setRawData(ByteString.copyFrom(littleEndian(WEIGHTS))).build(), "Hardmax", 13).toByteArray());
        UnsupportedLayerException e = assertThrows(UnsupportedLayerException.class, () -> OnnxReader.read(file));
        assertEquals("node out (Hardmax, opset 13): operation Hardmax is not supported", e.getMessage());

        ModelStore.Entry entry = new ModelStore(dir).list().get(0);
        assertEquals("odd", entry.id());
        assertFalse(entry.available());
        assertEquals(file + ": node out (Hardmax, opset 13): operation Hardmax is not supported", entry.error());
    }

    @Test
    void anOpsetOlderThanAnOpsConverterIsRefused() throws Exception {
        Path file = dir.resolve("old.onnx");
        Files.write(file, model(weights().setRawData(ByteString.copyFrom(littleEndian(WEIGHTS))).build(), "HardSwish", 13).toByteArray());
        UnsupportedLayerException e = assertThrows(UnsupportedLayerException.class, () -> OnnxReader.read(file));
        assertEquals("node out (HardSwish, opset 13): only HardSwish from opset 14 on is supported", e.getMessage());
    }

    @Test
    void aBrokenFileIsOneLine() throws Exception {
        Path file = dir.resolve("broken.onnx");
        byte[] good = model(weights().setRawData(ByteString.copyFrom(littleEndian(WEIGHTS))).build(), "Relu", 13).toByteArray();
        Files.write(file, Arrays.copyOf(good, good.length / 2));
        IOException e = assertThrows(IOException.class, () -> OnnxReader.read(file));
        assertEquals("truncated: its " + good.length / 2 + " bytes end in the middle of an ONNX field", e.getMessage(),
                "short, as a truncated .h5 is, not protobuf's 250 characters");
        Files.write(dir.resolve("garbage.onnx"), new byte[] {0, 1, 2, 3});
        IOException garbage = assertThrows(IOException.class, () -> OnnxReader.read(dir.resolve("garbage.onnx")));
        assertTrue(garbage.getMessage().startsWith("not an ONNX model (") && garbage.getMessage().length() < 80, garbage.getMessage());
        Files.delete(dir.resolve("garbage.onnx"));
        ModelStore.Entry entry = new ModelStore(dir).list().get(0);
        assertFalse(entry.available());
        assertFalse(entry.error().contains("\n"), entry.error());
    }

    @Test
    void aDroppedInModelGetsTorchvisionInputAndSaysSo() throws Exception {
        Onnx.ModelProto m = model(weights().setRawData(ByteString.copyFrom(littleEndian(WEIGHTS))).build(), "Relu", 13);
        Onnx.GraphProto g = m.getGraph().toBuilder().setInput(0, input("image", 1, 3, 4, 4))
                .setInitializer(0, Onnx.TensorProto.newBuilder().setName("w").setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE)
                        .addAllDims(Arrays.asList(2L, 3L, 1L, 1L)).setRawData(ByteString.copyFrom(littleEndian(WEIGHTS))))
                .build();
        Files.write(dir.resolve("rgb.onnx"), m.toBuilder().setGraph(g).build().toByteArray());
        ModelStore.Entry entry = new ModelStore(dir).list().get(0);
        assertTrue(entry.available(), String.valueOf(entry.error()));
        assertTrue(entry.defaults());
        assertEquals(InputSpace.TORCHVISION, entry.metadata().input());
        assertEquals(java.util.List.of(3, 4, 4), entry.metadata().inputShape());
        assertTrue(entry.metadata().description().contains("torchvision"), entry.metadata().description());
        assertEquals(2, new ModelStore(dir).load("rgb").layer("out").channels());
    }

    private static Onnx.StringStringEntryProto entry(String key, String value) {
        return Onnx.StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }
}
