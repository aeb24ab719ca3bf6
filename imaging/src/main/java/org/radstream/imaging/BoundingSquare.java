package org.radstream.imaging;

/**
 * The minimum enclosing axis-aligned square of a 2D region: the patch the ResNet-18 classifier
 * sees for each candidate infection region (COVID-19 paper). The square is centred on the
 * region's bounding box and shifted, not shrunk, to stay inside the image where it fits, so the
 * classifier always sees the whole region plus context rather than a clipped one.
 */
public record BoundingSquare(int x, int y, int size) {

    public BoundingSquare {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive: " + size);
        }
    }

    /** The square enclosing every pixel of {@code slice} whose label equals {@code label}. */
    public static BoundingSquare of(int[] labels, int width, int height, int label) {
        int minX = Integer.MAX_VALUE;
        int minY = Integer.MAX_VALUE;
        int maxX = -1;
        int maxY = -1;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                if (labels[y * width + x] == label) {
                    minX = Math.min(minX, x);
                    maxX = Math.max(maxX, x);
                    minY = Math.min(minY, y);
                    maxY = Math.max(maxY, y);
                }
            }
        }
        if (maxX < 0) {
            throw new IllegalArgumentException("label " + label + " not present");
        }
        int side = Math.max(maxX - minX + 1, maxY - minY + 1);
        return new BoundingSquare(place(minX, maxX, side, width), place(minY, maxY, side, height), side);
    }

    /** The square enclosing every set pixel of a row-major binary slice. */
    public static BoundingSquare of(boolean[] slice, int width, int height) {
        int[] labels = new int[slice.length];
        for (int i = 0; i < slice.length; i++) {
            labels[i] = slice[i] ? 1 : 0;
        }
        return of(labels, width, height, 1);
    }

    private static int place(int min, int max, int side, int extent) {
        int start = min - (side - (max - min + 1)) / 2;
        if (side <= extent) {
            start = Math.max(0, Math.min(extent - side, start));
        }
        return start;
    }

    /** Copies the square out of a row-major image; pixels beyond the image take {@code fill}. */
    public float[] crop(float[] image, int width, int height, float fill) {
        float[] out = new float[size * size];
        for (int j = 0; j < size; j++) {
            int sy = y + j;
            for (int i = 0; i < size; i++) {
                int sx = x + i;
                out[j * size + i] = (sx >= 0 && sy >= 0 && sx < width && sy < height) ? image[sy * width + sx] : fill;
            }
        }
        return out;
    }
}
