package io.filterscope.engine.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class HostImagesTest {
    @Test
    void eachImagesPlanesAreItsValuesInChannelOrderWhateverTheArraysMemory() {
        INDArray c = Nd4j.arange(4 * 3 * 2 * 5).castTo(DataType.FLOAT).reshape('c', 4, 3, 2, 5);
        for (INDArray display : new INDArray[] {c, c.dup('f'), c.permute(0, 2, 3, 1).dup('c').permute(0, 3, 1, 2)}) {
            HostImages images = HostImages.of(display).slice(1, 3);
            assertEquals(2, images.count());
            assertEquals(3, images.channels());
            assertEquals(2, images.height());
            assertEquals(5, images.width());
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(c.get(NDArrayIndex.point(i + 1)).dup('c').data().asFloat(), images.planes()[i], "image " + i);
                assertEquals(c.get(NDArrayIndex.point(i + 1)), images.image(i));
            }
            assertEquals(c.get(NDArrayIndex.interval(1, 3)), images.array());
        }
    }

    @Test
    void theImagesAreCopiesThatLaterChangesToTheArrayDoNotReach() {
        INDArray display = Nd4j.rand(DataType.FLOAT, 2, 1, 3, 3);
        HostImages images = HostImages.of(display);
        float[] before = images.planes()[1].clone();
        display.assign(7);
        assertArrayEquals(before, images.planes()[1]);
        assertArrayEquals(before, images.slice(1, 2).planes()[0]);
    }

    @Test
    void aRangeOutsideTheImagesIsRefused() {
        INDArray display = Nd4j.rand(DataType.FLOAT, 2, 1, 3, 3);
        assertThrows(IllegalArgumentException.class, () -> HostImages.of(display).slice(1, 3));
        assertThrows(IllegalArgumentException.class, () -> HostImages.of(display.reshape(2, 9)));
    }
}
