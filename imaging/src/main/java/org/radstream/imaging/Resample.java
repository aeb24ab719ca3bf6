package org.radstream.imaging;

/**
 * 2D resampling between the acquisition matrix and a model's input size.
 *
 * <p>Images use bilinear interpolation; masks use nearest neighbour so that labels stay binary.
 * Both map pixel centres onto pixel centres (align-corners = false), so resizing to a model size
 * and back returns masks to where they came from.
 */
public final class Resample {
    private Resample() {}

    /** Bilinear resize of a row-major image. */
    public static float[] bilinear(float[] src, int width, int height, int newWidth, int newHeight) {
        check(src.length, width, height, newWidth, newHeight);
        float[] out = new float[newWidth * newHeight];
        double sx = (double) width / newWidth;
        double sy = (double) height / newHeight;
        for (int y = 0; y < newHeight; y++) {
            double fy = Math.max(0, Math.min(height - 1, (y + 0.5) * sy - 0.5));
            int y0 = (int) fy;
            int y1 = Math.min(height - 1, y0 + 1);
            double wy = fy - y0;
            for (int x = 0; x < newWidth; x++) {
                double fx = Math.max(0, Math.min(width - 1, (x + 0.5) * sx - 0.5));
                int x0 = (int) fx;
                int x1 = Math.min(width - 1, x0 + 1);
                double wx = fx - x0;
                double top = src[y0 * width + x0] * (1 - wx) + src[y0 * width + x1] * wx;
                double bottom = src[y1 * width + x0] * (1 - wx) + src[y1 * width + x1] * wx;
                out[y * newWidth + x] = (float) (top * (1 - wy) + bottom * wy);
            }
        }
        return out;
    }

    /** Nearest-neighbour resize of a row-major binary mask. */
    public static boolean[] nearest(boolean[] src, int width, int height, int newWidth, int newHeight) {
        check(src.length, width, height, newWidth, newHeight);
        boolean[] out = new boolean[newWidth * newHeight];
        for (int y = 0; y < newHeight; y++) {
            int sy = Math.min(height - 1, (int) Math.floor((y + 0.5) * height / newHeight));
            for (int x = 0; x < newWidth; x++) {
                int sx = Math.min(width - 1, (int) Math.floor((x + 0.5) * width / newWidth));
                out[y * newWidth + x] = src[sy * width + sx];
            }
        }
        return out;
    }

    /** Nearest-neighbour resize of every slice of a mask (depth unchanged). */
    public static Mask3D nearest(Mask3D mask, int newWidth, int newHeight) {
        Mask3D out = new Mask3D(newWidth, newHeight, mask.depth());
        for (int z = 0; z < mask.depth(); z++) {
            out.setSlice(z, nearest(mask.slice(z), mask.width(), mask.height(), newWidth, newHeight));
        }
        return out;
    }

    private static void check(int length, int width, int height, int newWidth, int newHeight) {
        if (width <= 0 || height <= 0 || newWidth <= 0 || newHeight <= 0) {
            throw new IllegalArgumentException("sizes must be positive");
        }
        if (length != width * height) {
            throw new IllegalArgumentException("array has " + length + " values, expected " + width * height);
        }
    }
}
