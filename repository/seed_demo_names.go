package repository

// Fictitious people and organisations for the demo data. The names are
// common Moroccan first and family names, combined at random: any likeness
// to a real person is a coincidence of common names. Each pair is the
// Arabic spelling and the usual French-style Latin transliteration.

var demoFemaleNames = [][2]string{
	{"فاطمة", "Fatima"}, {"خديجة", "Khadija"}, {"مريم", "Meryem"}, {"سلمى", "Salma"}, {"نادية", "Nadia"},
	{"زينب", "Zineb"}, {"حنان", "Hanane"}, {"سعاد", "Souad"}, {"إيمان", "Imane"}, {"أسماء", "Asmae"},
	{"ليلى", "Leïla"}, {"هند", "Hind"}, {"نزهة", "Nezha"}, {"كريمة", "Karima"}, {"رشيدة", "Rachida"},
	{"سناء", "Sanaa"}, {"وفاء", "Wafae"}, {"غيثة", "Ghita"}, {"ياسمين", "Yasmine"}, {"هاجر", "Hajar"},
	{"سكينة", "Sakina"}, {"لبنى", "Loubna"}, {"بشرى", "Bouchra"}, {"نوال", "Naoual"}, {"أمينة", "Amina"},
	{"عائشة", "Aïcha"}, {"حليمة", "Halima"}, {"سميرة", "Samira"}, {"مليكة", "Malika"}, {"نعيمة", "Naïma"},
}

var demoMaleNames = [][2]string{
	{"محمد", "Mohammed"}, {"أحمد", "Ahmed"}, {"يوسف", "Youssef"}, {"عمر", "Omar"}, {"حمزة", "Hamza"},
	{"المهدي", "El Mehdi"}, {"ياسين", "Yassine"}, {"كريم", "Karim"}, {"رشيد", "Rachid"}, {"عبد الله", "Abdellah"},
	{"إدريس", "Driss"}, {"مصطفى", "Mustapha"}, {"سعيد", "Saïd"}, {"خالد", "Khalid"}, {"هشام", "Hicham"},
	{"نبيل", "Nabil"}, {"عادل", "Adil"}, {"طارق", "Tarik"}, {"أيوب", "Ayoub"}, {"إلياس", "Ilyas"},
	{"أنس", "Anas"}, {"بلال", "Bilal"}, {"سفيان", "Soufiane"}, {"عثمان", "Othmane"}, {"زكرياء", "Zakaria"},
	{"إسماعيل", "Ismaïl"}, {"عبد الرحيم", "Abderrahim"}, {"جواد", "Jaouad"}, {"منير", "Mounir"}, {"الحسن", "El Hassan"},
}

var demoFamilyNames = [][2]string{
	{"العلوي", "El Alaoui"}, {"بنعلي", "Benali"}, {"التازي", "Tazi"}, {"الإدريسي", "El Idrissi"}, {"بناني", "Bennani"},
	{"الفاسي", "El Fassi"}, {"برادة", "Berrada"}, {"الشرقاوي", "Cherkaoui"}, {"أمزيان", "Amziane"}, {"آيت لحسن", "Aït Lahcen"},
	{"الوزاني", "Ouazzani"}, {"بوزيد", "Bouzid"}, {"الصقلي", "Sqalli"}, {"الحسني", "El Hassani"}, {"الرحماني", "Rahmani"},
	{"الزياني", "Zyani"}, {"بلحاج", "Belhaj"}, {"الكتاني", "Kettani"}, {"العمراني", "El Amrani"}, {"المنصوري", "El Mansouri"},
	{"الطاهري", "Taheri"}, {"السباعي", "Sebbaï"}, {"البقالي", "Bakkali"}, {"الخطيب", "El Khatib"}, {"بوعزة", "Bouazza"},
	{"أوحمو", "Ouhammou"}, {"أقصبي", "Akesbi"}, {"الناصري", "Naciri"}, {"لحلو", "Lahlou"}, {"الغزاوي", "Ghazaoui"},
	{"بنجلون", "Benjelloun"}, {"الودغيري", "Oudghiri"}, {"الشاوي", "Chaoui"}, {"أمغار", "Amghar"}, {"الريفي", "Rifi"},
	{"السوسي", "Soussi"}, {"الدكالي", "Doukkali"}, {"الزموري", "Zemmouri"}, {"أيت علي", "Aït Ali"}, {"الهواري", "Houari"},
}

// Associations: 12 names × 8 causes = the 96 distinct associations of the
// positive-parenting programme.
var demoAssociationNames = [][2]string{
	{"الأمل", "Al Amal"}, {"النور", "Nour"}, {"الفجر", "Al Fajr"}, {"الوفاء", "Al Wafae"}, {"التضامن", "Attadamoun"},
	{"الإشراق", "Al Ichraq"}, {"البسمة", "Al Bassma"}, {"الغد", "Al Ghad"}, {"الرحمة", "Arrahma"}, {"السلام", "Assalam"},
	{"الخير", "Al Khair"}, {"الأمان", "Al Amane"},
}

var demoAssociationCauses = [][2]string{
	{"لحماية الطفولة", "pour la protection de l'enfance"}, {"للتنمية الأسرية", "pour le développement familial"},
	{"لدعم الأسرة", "d'appui à la famille"}, {"للتربية والتكوين", "pour l'éducation et la formation"},
	{"للأم والطفل", "de la mère et de l'enfant"}, {"للتنمية المحلية", "pour le développement local"},
	{"لرعاية الطفولة الصغرى", "pour la petite enfance"}, {"للإرشاد الأسري", "d'orientation familiale"},
}

// The public services whose staff are the institutional actors of child
// protection in each pilot province: code, Arabic, French.
var demoChildProtectionServices = [][3]string{
	{"sante", "المندوبية الإقليمية للصحة", "Délégation provinciale de la Santé"},
	{"justice", "المحكمة الابتدائية، خلية التكفل بالأطفال", "Tribunal de première instance, cellule de prise en charge des enfants"},
	{"surete", "الأمن الإقليمي، فرقة الأحداث", "Sûreté provinciale, brigade des mineurs"},
	{"entraide", "التنسيقية الإقليمية للتعاون الوطني", "Coordination provinciale de l'Entraide nationale"},
	{"education", "المديرية الإقليمية للتربية الوطنية", "Direction provinciale de l'Éducation nationale"},
}

// The services along the care pathway of women victims of violence, whose
// staff follow the Takaffoul programme: code, Arabic, French.
var demoCareServices = [][3]string{
	{"fmp", "مؤسسة متعددة الوظائف للنساء", "Établissement multifonctionnel pour femmes"},
	{"hebergement", "مركز إيواء النساء ضحايا العنف", "Centre d'hébergement des femmes victimes de violence"},
	{"hopital", "وحدة التكفل بالنساء ضحايا العنف، المستشفى الإقليمي", "Unité de prise en charge des femmes victimes de violence, hôpital provincial"},
	{"social", "خدمة الدعم الاجتماعي", "Service d'appui social"},
}
