/// Grids of small images as PNG: the canvas of the filter and feature-map pictures.
/// Layer: Plots, on top of NN. Read next: Filters.fs, FeatureMaps.fs.
///
/// A tile is a small h×w picture of numbers already mapped to colours. Tiles are laid out
/// row-major in a grid of `columns`, every cell drawn as a square of `scale`×`scale` pixels
/// (nearest neighbour, so a 3×3 filter stays three crisp cells), with a `Gap`-pixel border of
/// the background colour around and between tiles.
namespace ScratchML.Plots

open System
open System.IO
open System.Runtime.InteropServices
open SkiaSharp

/// One picture of the grid: its size in cells and the colour (r, g, b) of cell (row, column).
type Tile =
    { Height: int
      Width: int
      Color: int -> int -> byte * byte * byte }

/// Laying out and writing tile grids.
[<RequireQualifiedAccess>]
module TileGrid =
    /// Pixels of background around and between tiles.
    [<Literal>]
    let Gap = 2

    /// The background (a dark blue no grey map produces, so tile borders stay visible).
    let Background = (24uy, 40uy, 72uy)

    /// v ↦ round(255·(v − lo)/(hi − lo)) clamped to 0..255: min-max normalisation to a grey
    /// level; a constant map (hi = lo) is mid-grey 128.
    let level (lo: float) (hi: float) (v: float) : byte =
        if not (hi > lo) then 128uy
        else byte (Math.Round(255.0 * Math.Clamp((v - lo) / (hi - lo), 0.0, 1.0)))

    /// The smallest and largest of a sequence of values.
    let range (values: float seq) = Seq.min values, Seq.max values

    /// ⌈√n⌉ columns: a near-square grid for n tiles.
    let squareColumns (n: int) = max 1 (int (Math.Ceiling(sqrt (float n))))

    /// Image size in pixels of a grid: width = columns·(w·scale) + (columns + 1)·Gap, and the
    /// same for rows.
    let size (columns: int) (rows: int) (tileHeight: int) (tileWidth: int) (scale: int) =
        columns * tileWidth * scale + (columns + 1) * Gap, rows * tileHeight * scale + (rows + 1) * Gap

    /// Top-left pixel (x, y) of tile `index` (row-major in a grid of `columns`).
    let origin (columns: int) (tileHeight: int) (tileWidth: int) (scale: int) (index: int) =
        let row, column = index / columns, index % columns
        Gap + column * (tileWidth * scale + Gap), Gap + row * (tileHeight * scale + Gap)

    /// The tiles drawn as one RGBA picture (all tiles must have the same size), encoded as PNG.
    let png (columns: int) (scale: int) (tiles: Tile list) : byte[] =
        if List.isEmpty tiles then invalidArg "tiles" "there is nothing to draw"
        if columns < 1 || scale < 1 then invalidArg "scale" $"columns and scale must be ≥ 1, got {columns}, {scale}"
        let first = tiles.Head
        if tiles |> List.exists (fun t -> t.Height <> first.Height || t.Width <> first.Width) then
            invalidArg "tiles" "tiles of a grid have one size"
        let rows = (tiles.Length + columns - 1) / columns
        let width, height = size columns rows first.Height first.Width scale
        let rgba = Array.zeroCreate<byte> (width * height * 4)
        let put x y (r, g, b) =
            let p = (y * width + x) * 4
            rgba[p] <- r; rgba[p + 1] <- g; rgba[p + 2] <- b; rgba[p + 3] <- 255uy
        for y in 0 .. height - 1 do
            for x in 0 .. width - 1 do put x y Background
        tiles |> List.iteri (fun index tile ->
            let left, top = origin columns tile.Height tile.Width scale index
            for i in 0 .. tile.Height - 1 do
                for j in 0 .. tile.Width - 1 do
                    let colour = tile.Color i j
                    for dy in 0 .. scale - 1 do
                        for dx in 0 .. scale - 1 do put (left + j * scale + dx) (top + i * scale + dy) colour)
        let info = SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul)
        use bitmap = new SKBitmap(info)
        Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length)
        use encoded = bitmap.Encode(SKEncodedImageFormat.Png, 100)
        encoded.ToArray()

    /// Write PNG bytes atomically: to `path.tmp` next to it (folder created), then renamed.
    let write (path: string) (bytes: byte[]) =
        let full = Path.GetFullPath path
        let folder = Path.GetDirectoryName full
        if not (String.IsNullOrEmpty folder) then Directory.CreateDirectory folder |> ignore
        let temp = full + ".tmp"
        File.WriteAllBytes(temp, bytes)
        File.Move(temp, full, true)
