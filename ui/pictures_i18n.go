package ui

// pictureWords are the words of pictures: inline in the conversation, the
// viewer, and the preview before sending, in each language.
type pictureWords struct {
	// Inline: the picture's description (its file name), and a picture
	// whose thumbnail failed.
	PictureF string
	// The viewer.
	CloseViewer, Previous, Next, ZoomIn, ZoomOut, Fit, SavePicture, CopyPicture string
	CountF, LoadingFull, FullF, CopiedPath                                      string
	// The preview before sending.
	SendPictures, SendPicturesF, Caption, CaptionHint, SendNow, CancelSend string
	CaptionNote, MoreF                                                     string
}

var pictureCatalog = map[Lang]pictureWords{
	English: {
		PictureF:      "Picture %s",
		CloseViewer:   "Close the viewer",
		Previous:      "Previous picture",
		Next:          "Next picture",
		ZoomIn:        "Zoom in",
		ZoomOut:       "Zoom out",
		Fit:           "Fit to the window",
		SavePicture:   "Save the picture",
		CopyPicture:   "Copy",
		CountF:        "%d of %d",
		LoadingFull:   "Loading the full picture…",
		FullF:         "%d × %d",
		CopiedPath:    "Copied the file's location",
		SendPictures:  "Send a picture",
		SendPicturesF: "Send %d files",
		Caption:       "Caption",
		CaptionHint:   "Add a caption (optional)",
		SendNow:       "Send",
		CancelSend:    "Cancel",
		CaptionNote:   "The caption goes with the first picture",
		MoreF:         "and %d more",
	},
	Chinese: {
		PictureF:      "图片 %s",
		CloseViewer:   "关闭图片查看器",
		Previous:      "上一张",
		Next:          "下一张",
		ZoomIn:        "放大",
		ZoomOut:       "缩小",
		Fit:           "适应窗口",
		SavePicture:   "保存图片",
		CopyPicture:   "复制",
		CountF:        "第 %d 张，共 %d 张",
		LoadingFull:   "正在加载原图…",
		FullF:         "%d × %d 像素",
		CopiedPath:    "已复制文件位置",
		SendPictures:  "发送图片",
		SendPicturesF: "发送 %d 个文件",
		Caption:       "说明",
		CaptionHint:   "添加说明（可选）",
		SendNow:       "发送",
		CancelSend:    "取消",
		CaptionNote:   "说明随第一张图片发送",
		MoreF:         "还有 %d 个",
	},
}

func (u *UI) picw() pictureWords { return pictureCatalog[u.lang] }
