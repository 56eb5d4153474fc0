//! The notifications card's strings (Settings), in the Settings page's lazy module rather than
//! the first load (`crate::i18n::area_messages!`).

crate::i18n::area_messages! {
    PushText {
        PushTitle => "Notifications", "Notificaciones", "通知";
        PushHint => "Get a notification on this device when you miss a call, even when the app is closed.", "Reciba una notificación en este dispositivo cuando pierda una llamada, aunque la aplicación esté cerrada.", "即使应用已关闭，错过来电时也会在此设备上收到通知。";
        PushEnable => "Turn on for this device", "Activar en este dispositivo", "在此设备上开启";
        PushDisable => "Turn off for this device", "Desactivar en este dispositivo", "在此设备上关闭";
        PushOnHere => "Missed-call notifications are on for this device.", "Las notificaciones de llamadas perdidas están activadas en este dispositivo.", "此设备已开启未接来电通知。";
        PushOffHere => "Missed-call notifications are off for this device.", "Las notificaciones de llamadas perdidas están desactivadas en este dispositivo.", "此设备已关闭未接来电通知。";
        PushUnsupported => "This browser cannot receive push notifications.", "Este navegador no puede recibir notificaciones push.", "此浏览器无法接收推送通知。";
        PushIosHint => "On iPhone and iPad (iOS 16.4 or later), add the app to the Home Screen (Share, then Add to Home Screen) and open it from there to turn notifications on.", "En iPhone y iPad (iOS 16.4 o posterior), añada la aplicación a la pantalla de inicio (Compartir y luego Añadir a pantalla de inicio) y ábrala desde allí para activar las notificaciones.", "在 iPhone 和 iPad（iOS 16.4 或更高版本）上，请将应用添加到主屏幕（共享 → 添加到主屏幕），并从主屏幕打开后再开启通知。";
        PushDenied => "Notifications are blocked for this site. Allow them in the browser's site settings, then try again.", "Las notificaciones están bloqueadas para este sitio. Permítalas en la configuración del sitio del navegador y vuelva a intentarlo.", "此网站的通知已被阻止。请在浏览器的网站设置中允许通知，然后重试。";
        PushSubscribeFailed => "This browser could not subscribe to push notifications ({detail}). It may have no push service (some browsers and private windows do not).", "Este navegador no pudo suscribirse a las notificaciones push ({detail}). Puede que no tenga servicio push (algunos navegadores y ventanas privadas no lo tienen).", "此浏览器无法订阅推送通知（{detail}）。它可能没有推送服务（部分浏览器和隐私窗口没有）。";
        PushTest => "Send a test notification", "Enviar una notificación de prueba", "发送测试通知";
        PushTestResult => "Sent to {sent} device(s); {failed} failed; {removed} no longer subscribed (removed).", "Enviada a {sent} dispositivo(s); {failed} con error; {removed} ya no suscritos (eliminados).", "已发送到 {sent} 台设备；{failed} 台失败；{removed} 台已不再订阅（已移除）。";
        PushNoDevices => "No device has notifications on yet.", "Aún no hay dispositivos con notificaciones activadas.", "还没有设备开启通知。";
        PushDevices => "Devices with notifications", "Dispositivos con notificaciones", "已开启通知的设备";
        PushRemoveDevice => "Remove", "Quitar", "移除";
        QuietHours => "Quiet hours", "Horas de silencio", "免打扰时段";
        QuietHoursHint => "No missed-call notifications between these times, in your time zone ({zone}). Missed calls still appear in Recents.", "Sin notificaciones de llamadas perdidas entre estas horas, en su zona horaria ({zone}). Las llamadas perdidas siguen apareciendo en Recientes.", "在这些时间内（您的时区：{zone}）不发送未接来电通知。未接来电仍会显示在最近通话中。";
        QuietHoursOn => "Use quiet hours", "Usar horas de silencio", "启用免打扰时段";
        QuietFrom => "From", "Desde", "从";
        QuietTo => "To", "Hasta", "至";
        QuietSave => "Save quiet hours", "Guardar horas de silencio", "保存免打扰时段";
        QuietSaved => "Quiet hours saved.", "Horas de silencio guardadas.", "免打扰时段已保存。";
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_translation_is_present_and_keeps_the_placeholders() {
        crate::i18n::tests::check_translations(super::PushText::ALL);
    }
}
