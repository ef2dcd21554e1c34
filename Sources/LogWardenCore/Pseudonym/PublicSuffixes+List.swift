// Generated from the Public Suffix List (https://publicsuffix.org/list/public_suffix_list.dat, ICANN section,
// Debian package publicsuffix 20230209.2326-1, MPL-2.0). Regenerate rather than edit by hand.
//
// Kept: every ASCII top-level domain, and the common second-level registries (co.uk, com.au, ne.jp, …: rules whose
// first label is one of ac, co, com, edu, gen, go, gob, gouv, gov, gv, ltd, mil, ne, net, nic, nom, or, org, plc,
// sch). Deeper or wildcard rules are left out on purpose: a suffix missing here is pseudonymized, which loses
// readability but never leaks.

extension PublicSuffixes {
  /// Top-level domains, space-separated.
  static let topLevelDomainList = """
    aaa aarp abarth abb abbott abbvie abc able abogado abudhabi ac academy accenture accountant accountants aco
    actor ad ads adult ae aeg aero aetna af afl africa ag agakhan agency ai aig airbus airforce airtel akdn al
    alfaromeo alibaba alipay allfinanz allstate ally alsace alstom am amazon americanexpress americanfamily amex
    amfam amica amsterdam analytics android anquan anz ao aol apartments app apple aq aquarelle ar arab aramco archi
    army arpa art arte as asda asia associates at athleta attorney au auction audi audible audio auspost author auto
    autos avianca aw aws ax axa az azure ba baby baidu banamex bananarepublic band bank bar barcelona barclaycard
    barclays barefoot bargains baseball basketball bauhaus bayern bb bbc bbt bbva bcg bcn be beats beauty beer
    bentley berlin best bestbuy bet bf bg bh bharti bi bible bid bike bing bingo bio biz bj black blackfriday
    blockbuster blog bloomberg blue bm bms bmw bn bnpparibas bo boats boehringer bofa bom bond boo book booking
    bosch bostik boston bot boutique box br bradesco bridgestone broadway broker brother brussels bs bt build
    builders business buy buzz bv bw by bz bzh ca cab cafe cal call calvinklein cam camera camp canon capetown
    capital capitalone car caravan cards care career careers cars casa case cash casino cat catering catholic cba
    cbn cbre cbs cc cd center ceo cern cf cfa cfd cg ch chanel channel charity chase chat cheap chintai christmas
    chrome church ci cipriani circle cisco citadel citi citic city cityeats cl claims cleaning click clinic clinique
    clothing cloud club clubmed cm cn co coach codes coffee college cologne com comcast commbank community company
    compare computer comsec condos construction consulting contact contractors cooking cookingchannel cool coop
    corsica country coupon coupons courses cpa cr credit creditcard creditunion cricket crown crs cruise cruises cu
    cuisinella cv cw cx cy cymru cyou cz dabur dad dance data date dating datsun day dclk dds de deal dealer deals
    degree delivery dell deloitte delta democrat dental dentist desi design dev dhl diamonds diet digital direct
    directory discount discover dish diy dj dk dm dnp do docs doctor dog domains dot download drive dtv dubai dunlop
    dupont durban dvag dvr dz earth eat ec eco edeka edu education ee eg email emerck energy engineer engineering
    enterprises epson equipment ericsson erni es esq estate et etisalat eu eurovision eus events exchange expert
    exposed express extraspace fage fail fairwinds faith family fan fans farm farmers fashion fast fedex feedback
    ferrari ferrero fi fiat fidelity fido film final finance financial fire firestone firmdale fish fishing fit
    fitness fj flickr flights flir florist flowers fly fm fo foo food foodnetwork football ford forex forsale forum
    foundation fox fr free fresenius frl frogans frontdoor frontier ftr fujitsu fun fund furniture futbol fyi ga gal
    gallery gallo gallup game games gap garden gay gb gbiz gd gdn ge gea gent genting george gf gg ggee gh gi gift
    gifts gives giving gl glass gle global globo gm gmail gmbh gmo gmx gn godaddy gold goldpoint golf goo goodyear
    goog google gop got gov gp gq gr grainger graphics gratis green gripe grocery group gs gt gu guardian gucci guge
    guide guitars guru gw gy hair hamburg hangout haus hbo hdfc hdfcbank health healthcare help helsinki here hermes
    hgtv hiphop hisamitsu hitachi hiv hk hkt hm hn hockey holdings holiday homedepot homegoods homes homesense honda
    horse hospital host hosting hot hoteles hotels hotmail house how hr hsbc ht hu hughes hyatt hyundai ibm icbc ice
    icu id ie ieee ifm ikano il im imamat imdb immo immobilien in inc industries infiniti info ing ink institute
    insurance insure int international intuit investments io ipiranga iq ir irish is ismaili ist istanbul it itau
    itv jaguar java jcb je jeep jetzt jewelry jio jll jmp jnj jo jobs joburg jot joy jp jpmorgan jprs juegos juniper
    kaufen kddi ke kerryhotels kerrylogistics kerryproperties kfh kg ki kia kids kim kinder kindle kitchen kiwi km
    kn koeln komatsu kosher kp kpmg kpn kr krd kred kuokgroup kw ky kyoto kz la lacaixa lamborghini lamer lancaster
    lancia land landrover lanxess lasalle lat latino latrobe law lawyer lb lc lds lease leclerc lefrak legal lego
    lexus lgbt li lidl life lifeinsurance lifestyle lighting like lilly limited limo lincoln linde link lipsy live
    living lk llc llp loan loans locker locus lol london lotte lotto love lpl lplfinancial lr ls lt ltd ltda lu
    lundbeck luxe luxury lv ly ma macys madrid maif maison makeup man management mango map market marketing markets
    marriott marshalls maserati mattel mba mc mckinsey md me med media meet melbourne meme memorial men menu
    merckmsd mg mh miami microsoft mil mini mint mit mitsubishi mk ml mlb mls mma mn mo mobi mobile moda moe moi mom
    monash money monster mormon mortgage moscow moto motorcycles mov movie mp mq mr ms msd mt mtn mtr mu museum
    music mutual mv mw mx my mz na nab nagoya name natura navy nba nc ne nec net netbank netflix network neustar new
    news next nextdirect nexus nf nfl ng ngo nhk ni nico nike nikon ninja nissan nissay nl no nokia
    northwesternmutual norton now nowruz nowtv nr nra nrw ntt nu nyc nz obi observer office okinawa olayan
    olayangroup oldnavy ollo om omega one ong onion onl online ooo open oracle orange org organic origins osaka
    otsuka ott ovh pa page panasonic paris pars partners parts party passagens pay pccw pe pet pf pfizer ph pharmacy
    phd philips phone photo photography photos physio pics pictet pictures pid pin ping pink pioneer pizza pk pl
    place play playstation plumbing plus pm pn pnc pohl poker politie porn post pr pramerica praxi press prime pro
    prod productions prof progressive promo properties property protection pru prudential ps pt pub pw pwc py qa
    qpon quebec quest racing radio re read realestate realtor realty recipes red redstone redumbrella rehab reise
    reisen reit reliance ren rent rentals repair report republican rest restaurant review reviews rexroth rich
    richardli ricoh ril rio rip ro rocher rocks rodeo rogers room rs rsvp ru rugby ruhr run rw rwe ryukyu sa
    saarland safe safety sakura sale salon samsclub samsung sandvik sandvikcoromant sanofi sap sarl sas save saxo sb
    sbi sbs sc sca scb schaeffler schmidt scholarships school schule schwarz science scot sd se search seat secure
    security seek select sener services seven sew sex sexy sfr sg sh shangrila sharp shaw shell shia shiksha shoes
    shop shopping shouji show showtime si silk sina singles site sj sk ski skin sky skype sl sling sm smart smile sn
    sncf so soccer social softbank software sohu solar solutions song sony soy spa space sport spot sr srl ss st
    stada staples star statebank statefarm stc stcgroup stockholm storage store stream studio study style su sucks
    supplies supply support surf surgery suzuki sv swatch swiss sx sy sydney systems sz tab taipei talk taobao
    target tatamotors tatar tattoo tax taxi tc tci td tdk team tech technology tel temasek tennis teva tf tg th thd
    theater theatre tiaa tickets tienda tiffany tips tires tirol tj tjmaxx tjx tk tkmaxx tl tm tmall tn to today
    tokyo tools top toray toshiba total tours town toyota toys tr trade trading training travel travelchannel
    travelers travelersinsurance trust trv tt tube tui tunes tushu tv tvs tw tz ua ubank ubs ug uk unicom university
    uno uol ups us uy uz va vacations vana vanguard vc ve vegas ventures verisign versicherung vet vg vi viajes
    video vig viking villas vin vip virgin visa vision viva vivo vlaanderen vn vodka volkswagen volvo vote voting
    voto voyage vu vuelos wales walmart walter wang wanggou watch watches weather weatherchannel webcam weber
    website wedding weibo weir wf whoswho wien wiki williamhill win windows wine winners wme wolterskluwer woodside
    work works world wow ws wtc wtf xbox xerox xfinity xihuan xin xxx xyz yachts yahoo yamaxun yandex ye yodobashi
    yoga yokohama you youtube yt yun zappos zara zero zip zm zone zuerich zw
    """

  /// Common two-label public suffixes, space-separated.
  static let secondLevelSuffixList = """
    ac.ae ac.at ac.be ac.ci ac.cn ac.cr ac.cy ac.fj ac.gn ac.id ac.il ac.im ac.in ac.ir ac.jp ac.ke ac.kr ac.lk
    ac.ls ac.ma ac.me ac.mu ac.mw ac.mz ac.ni ac.nz ac.pa ac.pr ac.rs ac.rw ac.se ac.sz ac.th ac.tj ac.tz ac.ug
    ac.uk ac.vn ac.za ac.zm ac.zw co.ae co.ag co.am co.ao co.at co.bb co.bi co.bj co.bw co.ci co.cl co.cm co.cr
    co.gg co.gl co.gy co.hu co.id co.il co.im co.in co.ir co.it co.je co.jp co.ke co.kr co.lc co.ls co.ma co.me
    co.mg co.mu co.mw co.mz co.na co.ni co.nz co.om co.pn co.pw co.rs co.rw co.st co.sz co.th co.tj co.tm co.tt
    co.tz co.ug co.uk co.us co.uz co.ve co.vi co.za co.zm co.zw com.ac com.af com.ag com.ai com.al com.am com.ar
    com.au com.aw com.az com.ba com.bb com.bh com.bi com.bj com.bm com.bn com.bo com.br com.bs com.bt com.by com.bz
    com.ci com.cm com.cn com.co com.cu com.cv com.cw com.cy com.dm com.do com.dz com.ec com.ee com.eg com.es com.et
    com.fj com.fm com.fr com.ge com.gh com.gi com.gl com.gn com.gp com.gr com.gt com.gu com.gy com.hk com.hn com.hr
    com.ht com.im com.in com.io com.iq com.is com.jo com.kg com.ki com.km com.kp com.kw com.ky com.kz com.la com.lb
    com.lc com.lk com.lr com.lv com.ly com.mg com.mk com.ml com.mo com.ms com.mt com.mu com.mv com.mw com.mx com.my
    com.na com.nf com.ng com.ni com.nr com.om com.pa com.pe com.pf com.ph com.pk com.pl com.pr com.ps com.pt com.py
    com.qa com.re com.ro com.sa com.sb com.sc com.sd com.sg com.sh com.sl com.sn com.so com.ss com.st com.sv com.sy
    com.tj com.tm com.tn com.to com.tr com.tt com.tw com.ua com.ug com.uy com.uz com.vc com.ve com.vi com.vn com.vu
    com.ws com.ye com.zm edu.ac edu.af edu.al edu.ar edu.au edu.az edu.ba edu.bb edu.bh edu.bi edu.bj edu.bm edu.bn
    edu.bo edu.br edu.bs edu.bt edu.bz edu.ci edu.cn edu.co edu.cu edu.cv edu.cw edu.dm edu.do edu.dz edu.ec edu.ee
    edu.eg edu.es edu.et edu.fm edu.gd edu.ge edu.gh edu.gi edu.gl edu.gn edu.gp edu.gr edu.gt edu.gu edu.gy edu.hk
    edu.hn edu.ht edu.in edu.iq edu.is edu.it edu.jo edu.kg edu.ki edu.km edu.kn edu.kp edu.kw edu.ky edu.kz edu.la
    edu.lb edu.lc edu.lk edu.lr edu.ls edu.lv edu.ly edu.me edu.mg edu.mk edu.ml edu.mn edu.mo edu.ms edu.mt edu.mv
    edu.mw edu.mx edu.my edu.mz edu.ng edu.ni edu.nr edu.om edu.pa edu.pe edu.pf edu.ph edu.pk edu.pl edu.pn edu.pr
    edu.ps edu.pt edu.py edu.qa edu.rs edu.sa edu.sb edu.sc edu.sd edu.sg edu.sl edu.sn edu.so edu.ss edu.st edu.sv
    edu.sy edu.tj edu.tm edu.to edu.tr edu.tt edu.tw edu.ua edu.uy edu.vc edu.ve edu.vn edu.vu edu.ws edu.ye edu.za
    edu.zm gen.in gen.nz gen.tr go.ci go.cr go.id go.it go.jp go.ke go.kr go.pw go.th go.tj go.tz go.ug gob.ar
    gob.bo gob.cl gob.do gob.ec gob.es gob.gt gob.hn gob.mx gob.ni gob.pa gob.pe gob.pk gob.sv gob.ve gouv.ci
    gouv.fr gouv.ht gouv.km gouv.ml gouv.sn gov.ac gov.ae gov.af gov.al gov.ar gov.as gov.au gov.az gov.ba gov.bb
    gov.bf gov.bh gov.bm gov.bn gov.br gov.bs gov.bt gov.by gov.bz gov.cd gov.cl gov.cm gov.cn gov.co gov.cu gov.cx
    gov.cy gov.dm gov.do gov.dz gov.ec gov.ee gov.eg gov.et gov.fj gov.gd gov.ge gov.gh gov.gi gov.gn gov.gr gov.gu
    gov.gy gov.hk gov.ie gov.il gov.in gov.iq gov.ir gov.is gov.it gov.jo gov.kg gov.ki gov.km gov.kn gov.kp gov.kw
    gov.kz gov.la gov.lb gov.lc gov.lk gov.lr gov.ls gov.lt gov.lv gov.ly gov.ma gov.me gov.mg gov.mk gov.ml gov.mn
    gov.mo gov.mr gov.ms gov.mu gov.mv gov.mw gov.my gov.mz gov.ng gov.nr gov.om gov.ph gov.pk gov.pl gov.pn gov.pr
    gov.ps gov.pt gov.py gov.qa gov.rs gov.rw gov.sa gov.sb gov.sc gov.sd gov.sg gov.sh gov.sl gov.so gov.ss gov.sx
    gov.sy gov.tj gov.tl gov.tm gov.tn gov.to gov.tr gov.tt gov.tw gov.ua gov.uk gov.vc gov.ve gov.vn gov.ws gov.ye
    gov.za gov.zm gov.zw gv.ao gv.at ltd.cy ltd.gi ltd.lk ltd.uk mil.ac mil.ae mil.al mil.ar mil.az mil.ba mil.bo
    mil.br mil.by mil.cl mil.cn mil.co mil.cy mil.do mil.ec mil.eg mil.fj mil.ge mil.gh mil.gt mil.hn mil.id mil.in
    mil.iq mil.jo mil.kg mil.km mil.kr mil.kz mil.lv mil.mg mil.mv mil.my mil.mz mil.ng mil.ni mil.no mil.nz mil.pe
    mil.ph mil.pl mil.py mil.qa mil.rw mil.sh mil.st mil.sy mil.tj mil.tm mil.to mil.tr mil.tw mil.tz mil.uy mil.vc
    mil.ve mil.ye mil.za mil.zm mil.zw ne.jp ne.ke ne.kr ne.pw ne.tz ne.ug ne.us net.ac net.ae net.af net.ag net.ai
    net.al net.am net.ar net.au net.az net.ba net.bb net.bh net.bj net.bm net.bn net.bo net.br net.bs net.bt net.bz
    net.ci net.cm net.cn net.co net.cu net.cw net.cy net.dm net.do net.dz net.ec net.eg net.et net.fj net.fm net.ge
    net.gg net.gl net.gn net.gp net.gr net.gt net.gu net.gy net.hk net.hn net.ht net.id net.il net.im net.in net.iq
    net.ir net.is net.je net.jo net.kg net.ki net.kn net.kw net.ky net.kz net.la net.lb net.lc net.lk net.lr net.ls
    net.lv net.ly net.ma net.me net.mk net.ml net.mo net.ms net.mt net.mu net.mv net.mw net.mx net.my net.mz net.nf
    net.ng net.ni net.nr net.nz net.om net.pa net.pe net.ph net.pk net.pl net.pn net.pr net.ps net.pt net.py net.qa
    net.rw net.sa net.sb net.sc net.sd net.sg net.sh net.sl net.so net.ss net.st net.sy net.th net.tj net.tm net.tn
    net.to net.tr net.tt net.tw net.ua net.uk net.uy net.uz net.vc net.ve net.vi net.vn net.vu net.ws net.ye net.za
    net.zm nic.in nic.tj nic.za nom.ad nom.ag nom.co nom.es nom.fr nom.km nom.mg nom.nc nom.ni nom.pa nom.pe nom.pl
    nom.re nom.ro nom.tm nom.ve nom.za or.at or.bi or.ci or.cr or.id or.it or.jp or.ke or.kr or.mu or.na or.pw or.th
    or.tz or.ug or.us org.ac org.ae org.af org.ag org.ai org.al org.am org.ar org.au org.az org.ba org.bb org.bh
    org.bi org.bj org.bm org.bn org.bo org.br org.bs org.bt org.bw org.bz org.ci org.cn org.co org.cu org.cv org.cw
    org.cy org.dm org.do org.dz org.ec org.ee org.eg org.es org.et org.fj org.fm org.ge org.gg org.gh org.gi org.gl
    org.gn org.gp org.gr org.gt org.gu org.gy org.hk org.hn org.ht org.hu org.il org.im org.in org.iq org.ir org.is
    org.je org.jo org.kg org.ki org.km org.kn org.kp org.kw org.ky org.kz org.la org.lb org.lc org.lk org.lr org.ls
    org.lv org.ly org.ma org.me org.mg org.mk org.ml org.mn org.mo org.ms org.mt org.mu org.mv org.mw org.mx org.my
    org.mz org.na org.ng org.ni org.nr org.nz org.om org.pa org.pe org.pf org.ph org.pk org.pl org.pn org.pr org.ps
    org.pt org.py org.qa org.ro org.rs org.rw org.sa org.sb org.sc org.sd org.se org.sg org.sh org.sl org.sn org.so
    org.ss org.st org.sv org.sy org.sz org.tj org.tm org.tn org.to org.tr org.tt org.tw org.ua org.ug org.uk org.uy
    org.uz org.vc org.ve org.vi org.vn org.vu org.ws org.ye org.za org.zm org.zw plc.ly plc.uk sch.ae sch.id sch.ir
    sch.jo sch.lk sch.ly sch.ng sch.qa sch.sa sch.ss sch.zm
    """
}
