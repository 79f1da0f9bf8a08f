package io.filterscope.engine.param;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class InputSpaceTest {
    private static final InputSpace TORCH = new InputSpace(0.0, 1.0, List.of(0.485, 0.456, 0.406),
            List.of(0.229, 0.224, 0.225), null);

    @Test
    void displayToInputToDisplayIsTheIdentityForEveryKindOfPreprocessing() {
        Nd4j.getRandom().setSeed(1);
        INDArray colour = Nd4j.rand(DataType.DOUBLE, 2, 3, 5, 4);
        INDArray grey = Nd4j.rand(DataType.DOUBLE, 2, 1, 5, 4);
        for (InputSpace space : List.of(InputSpace.UNIT, InputSpace.range(-1, 1), InputSpace.CAFFE_BGR, TORCH)) {
            assertEquals(0, space.toDisplay(space.toInput(colour)).sub(colour).amaxNumber().doubleValue(), 1e-12,
                    space.toString());
        }
        InputSpace greyMean = new InputSpace(0.0, 255.0, List.of(33.3), null, null);
        assertEquals(0, greyMean.toDisplay(greyMean.toInput(grey)).sub(grey).amaxNumber().doubleValue(), 1e-12);
    }

    @Test
    void caffeVggPreprocessingMatchesValuesWorkedByHand() {
        // One pixel, display RGB (1, 0.5, 0): the model sees B, G, R = 255*0 - 103.939, 255*0.5 - 116.779, 255*1 - 123.68.
        INDArray rgb = Nd4j.createFromArray(1.0, 0.5, 0.0).reshape(1, 3, 1, 1);
        INDArray bgr = InputSpace.CAFFE_BGR.toInput(rgb);
        assertArrayEquals(new double[] {-103.939, 10.721, 131.32}, bgr.reshape(3).toDoubleVector(), 1e-9);
        assertArrayEquals(new double[] {-103.939, -116.779, -123.68}, InputSpace.CAFFE_BGR.lower(3), 1e-12);
        assertArrayEquals(new double[] {151.061, 138.221, 131.32}, InputSpace.CAFFE_BGR.upper(3), 1e-9);
        assertArrayEquals(new double[] {23.561, 10.721, 3.82}, InputSpace.CAFFE_BGR.neutral(3), 1e-9);
        assertEquals(255, InputSpace.CAFFE_BGR.meanScale(3), 1e-12);
    }

    @Test
    void clampKeepsEachChannelInsideItsOwnRange() {
        INDArray x = Nd4j.createFromArray(-500.0, 500.0, 0.0).reshape(1, 3, 1, 1);
        InputSpace.CAFFE_BGR.clamp(x);
        assertArrayEquals(new double[] {-103.939, 138.221, 0.0}, x.reshape(3).toDoubleVector(), 1e-9);
    }

    @Test
    void greyAndUniformSpacesGiveTheFloatsOfTheFormulaExactly() {
        // Grey images and ranges without mean or std take one scalar op per conversion (or none): each float must be what
        // the formula gives in float arithmetic, as the per-channel broadcast gave it, and clamping must hold the range.
        Nd4j.getRandom().setSeed(3);
        INDArray grey = Nd4j.rand(DataType.FLOAT, 4, 1, 5, 6).muli(3).subi(1);
        INDArray colour = Nd4j.rand(DataType.FLOAT, 2, 3, 5, 6).muli(3).subi(1);
        for (InputSpace space : List.of(InputSpace.UNIT, InputSpace.range(-1, 1), new InputSpace(0.0, 255.0, List.of(33.3), null, null))) {
            for (INDArray x : List.of(grey, colour)) {
                if (space.mismatch((int) x.size(1)) != null) {
                    continue;
                }
                float[] in = x.dup('c').data().asFloat();
                float scale = (float) space.scale((int) x.size(1))[0];
                float offset = (float) space.offset((int) x.size(1))[0];
                float low = (float) space.lower((int) x.size(1))[0];
                float high = (float) space.upper((int) x.size(1))[0];
                float[] display = new float[in.length];
                float[] input = new float[in.length];
                float[] clamped = new float[in.length];
                for (int i = 0; i < in.length; i++) {
                    display[i] = (in[i] - offset) / scale;
                    input[i] = in[i] * scale + offset;
                    clamped[i] = Math.min(Math.max(in[i], low), high);
                }
                assertArrayEquals(display, space.toDisplay(x).data().asFloat(), 0f, space + " toDisplay");
                assertArrayEquals(input, space.toInput(x).data().asFloat(), 0f, space + " toInput");
                INDArray c = x.dup('c');
                space.clamp(c);
                assertArrayEquals(clamped, c.data().asFloat(), 0f, space + " clamp");
            }
        }
    }

    @Test
    void displayGradientIsTheAdjointOfToInput() {
        // <toInput(d) - toInput(0), g> = <d, displayGradient(g)> for any d and g.
        Nd4j.getRandom().setSeed(2);
        INDArray d = Nd4j.rand(DataType.DOUBLE, 2, 3, 4, 4);
        INDArray g = Nd4j.randn(DataType.DOUBLE, 2, 3, 4, 4);
        for (InputSpace space : List.of(InputSpace.CAFFE_BGR, TORCH)) {
            double lhs = space.toInput(d).sub(space.toInput(d.like())).mul(g).sumNumber().doubleValue();
            double rhs = d.mul(space.displayGradient(g)).sumNumber().doubleValue();
            assertEquals(lhs, rhs, 1e-9 * Math.abs(lhs));
        }
    }

    @Test
    void legacyRangeJsonStillReadsAndWritesTheSame() throws Exception {
        ObjectMapper json = new ObjectMapper();
        InputSpace legacy = json.readValue("{\"low\":0,\"high\":255}", InputSpace.class);
        assertEquals(InputSpace.range(0, 255), legacy);
        assertEquals("{\"low\":0.0,\"high\":255.0}", json.writeValueAsString(legacy));
        InputSpace caffe = json.readValue(json.writeValueAsString(InputSpace.CAFFE_BGR), InputSpace.class);
        assertEquals(InputSpace.CAFFE_BGR, caffe);
    }

    @Test
    void mismatchWithTheModelsChannelsIsExplained() {
        assertNull(InputSpace.CAFFE_BGR.mismatch(3));
        assertTrue(InputSpace.CAFFE_BGR.mismatch(1).contains("\"mean\" has 3 values but the model has 1"));
        assertTrue(new InputSpace(0.0, 1.0, null, null, "BGR").mismatch(1).contains("BGR needs 3 input channels"));
        assertThrows(IllegalArgumentException.class, () -> new InputSpace(0.0, 1.0, null, List.of(0.0), null));
        assertThrows(IllegalArgumentException.class, () -> new InputSpace(0.0, 1.0, null, null, "bgr"));
        assertThrows(IllegalArgumentException.class, () -> new InputSpace(1.0, 1.0, null, null, null));
    }
}
