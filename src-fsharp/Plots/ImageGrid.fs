/// Small grey images side by side as one PNG: an input, a kernel and its feature map, or the
/// filters of a convolution layer. Layer: Plots, on top of Core (Tensor). Read next: the docs'
/// CNN chapter, which draws both.
///
/// Each image is scaled to its own range: its smallest value black, its largest white (a
/// constant image is mid-grey), so a filter's pattern shows whatever its scale.
namespace ScratchML.Plots

open System
open System.IO
open SkiaSharp
open ScratchML

/// One picture of the grid: values [rows, columns], a caption, and whether each value is also
/// printed in its cell (for small worked examples).
type GreyImage =
    { Caption: string
      Values: float[,]
      ShowValues: bool }

/// Building and drawing grids of grey images.
[<RequireQualifiedAccess>]
module ImageGrid =
    /// An image of a 2-d tensor [rows; columns] (any dtype).
    let ofTensor (caption: string) (showValues: bool) (t: Tensor) : GreyImage =
        if t.Shape.Length <> 2 then invalidArg "t" $"expected a 2-d tensor, got {Shape.show t.Shape}"
        let values = Tensor.toArray (Tensor.contiguous t)
        let columns = t.Shape[1]
        { Caption = caption; ShowValues = showValues
          Values = Array2D.init t.Shape[0] columns (fun r c -> values[r * columns + c]) }

    /// One image per (output, input) channel of convolution weights [C_out; C_in; kH; kW],
    /// captioned "o" (or "o.c" when there are several input channels), in row-major order.
    let ofFilters (weights: Tensor) : GreyImage list =
        if weights.Shape.Length <> 4 then invalidArg "weights" $"expected [C_out; C_in; kH; kW], got {Shape.show weights.Shape}"
        let outputs, inputs = weights.Shape[0], weights.Shape[1]
        [ for o in 0 .. outputs - 1 do
            for c in 0 .. inputs - 1 ->
                let filter = Tensor.slice [| Slice.Index o; Slice.Index c |] weights
                ofTensor (if inputs = 1 then $"{o}" else $"{o}.{c}") false filter ]

    /// Grey level 0..255 of v on the range lo..hi (mid-grey when the range is empty).
    let grey (lo: float) (hi: float) (v: float) =
        if hi - lo <= 0.0 || not (Double.IsFinite(hi - lo)) then 128uy
        else byte (Math.Round(255.0 * Math.Clamp((v - lo) / (hi - lo), 0.0, 1.0)))

    /// The smallest value that prints in a cell: 1.5 → "1.5", 2 → "2", −0.25 → "-0.25".
    let private label (v: float) = v.ToString("0.##", Globalization.CultureInfo.InvariantCulture)

    /// Draw the images in a grid of `columns` columns, every value a square of `cell` pixels,
    /// each image centred in its slot above its caption, on white. → PNG bytes.
    let render (columns: int) (cell: int) (images: GreyImage list) : byte[] =
        if List.isEmpty images then invalidArg "images" "nothing to draw"
        if columns < 1 || cell < 1 then invalidArg "columns" $"need columns ≥ 1 and cell ≥ 1, got {columns}, {cell}"
        let margin, captionHeight = 8, 22
        let slotWidth = images |> List.map (fun i -> Array2D.length2 i.Values * cell) |> List.max
        let slotHeight = (images |> List.map (fun i -> Array2D.length1 i.Values * cell) |> List.max) + captionHeight
        let gridColumns = min columns images.Length
        let gridRows = (images.Length + gridColumns - 1) / gridColumns
        let width = margin + gridColumns * (slotWidth + margin)
        let height = margin + gridRows * (slotHeight + margin)
        use surface = SKSurface.Create(SKImageInfo(width, height))
        let canvas = surface.Canvas
        canvas.Clear SKColors.White
        use fill = new SKPaint(IsAntialias = false)
        use ink = new SKPaint(IsAntialias = true)
        use font = new SKFont(SKTypeface.Default, 14.0f)
        use small = new SKFont(SKTypeface.Default, float32 cell * 0.35f)
        images |> List.iteri (fun k image ->
            let rows, cols = Array2D.length1 image.Values, Array2D.length2 image.Values
            let values = Seq.cast<float> image.Values |> Array.ofSeq
            let lo, hi = Array.min values, Array.max values
            let left = margin + (k % gridColumns) * (slotWidth + margin) + (slotWidth - cols * cell) / 2
            let top = margin + (k / gridColumns) * (slotHeight + margin)
            for r in 0 .. rows - 1 do
                for c in 0 .. cols - 1 do
                    let v = image.Values[r, c]
                    let g = grey lo hi v
                    fill.Color <- SKColor(g, g, g)
                    let x, y = float32 (left + c * cell), float32 (top + r * cell)
                    canvas.DrawRect(x, y, float32 cell, float32 cell, fill)
                    if image.ShowValues then
                        ink.Color <- (if g > 127uy then SKColors.Black else SKColors.White)
                        canvas.DrawText(label v, x + float32 cell / 2.0f, y + float32 cell * 0.62f, SKTextAlign.Center, small, ink)
            ink.Color <- SKColors.Black
            let centre = float32 (margin + (k % gridColumns) * (slotWidth + margin) + slotWidth / 2)
            canvas.DrawText(image.Caption, centre, float32 (top + rows * cell + captionHeight - 6), SKTextAlign.Center, font, ink))
        use snapshot = surface.Snapshot()
        use data = snapshot.Encode(SKEncodedImageFormat.Png, 100)
        data.ToArray()

    /// Write `render columns cell images` to `path` atomically (path.tmp, then renamed).
    let save (path: string) (columns: int) (cell: int) (images: GreyImage list) =
        let full = Path.GetFullPath path
        let folder = Path.GetDirectoryName full
        if not (String.IsNullOrEmpty folder) then Directory.CreateDirectory folder |> ignore
        let temp = full + ".tmp"
        File.WriteAllBytes(temp, render columns cell images)
        File.Move(temp, full, true)
