/// RGB → CIE Lab exactly as scikit-image 0.19.3's `rgb2lab` (sRGB, D65 white, 2° observer).
/// Layer: Lime/Image. Quickshift and SLIC measure colour distances in Lab. Read next: Gaussian.fs.
namespace ScratchML.Lime.Image

[<RequireQualifiedAccess>]
module Color =
    /// sRGB → linear: ((v + 0.055) / 1.055)^2.4 if v > 0.04045, else v / 12.92.
    let inline linearize (v: float) =
        if v > 0.04045 then ((v + 0.055) / 1.055) ** 2.4 else v / 12.92

    /// Lab's companding: ∛t if t > 0.008856, else 7.787·t + 16/116.
    let inline labF (t: float) =
        if t > 0.008856 then System.Math.Cbrt t else 7.787 * t + 16.0 / 116.0

    /// skimage's `xyz_from_rgb` (rows X, Y, Z) and the D65 / 2° white (0.95047, 1, 1.08883).
    let private xyzFromRgb =
        array2D [ [ 0.412453; 0.357580; 0.180423 ]
                  [ 0.212671; 0.715160; 0.072169 ]
                  [ 0.019334; 0.119193; 0.950227 ] ]
    let private white = [| 0.95047; 1.0; 1.08883 |]

    /// One pixel: XYZ = M·linear(rgb); f = labF(XYZ / white); L = 116·f_y − 16,
    /// a = 500·(f_x − f_y), b = 200·(f_y − f_z).
    let pixelToLab (red: float) (green: float) (blue: float) =
        let r, g, b = linearize red, linearize green, linearize blue
        let f i =
            labF ((xyzFromRgb[i, 0] * r + xyzFromRgb[i, 1] * g + xyzFromRgb[i, 2] * b) / white[i])
        let fx, fy, fz = f 0, f 1, f 2
        struct (116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz))

    /// The whole image as Lab, same HWC layout (channel 0 = L ∈ [0, 100], 1 = a, 2 = b).
    let rgbToLab (image: RgbImage) : float[] =
        let px = image.Pixels
        let lab = Array.zeroCreate<float> px.Length
        for p in 0 .. image.PixelCount - 1 do
            let struct (l, a, b) = pixelToLab px[p * 3] px[p * 3 + 1] px[p * 3 + 2]
            lab[p * 3] <- l
            lab[p * 3 + 1] <- a
            lab[p * 3 + 2] <- b
        lab
